#include "store/store.h"

#include <stdexcept>

#include "common/strings.h"
#include "store/postgres_store.h"
#include "store/sqlite_store.h"

namespace hydra::store {

size_t Rows::column_index(std::string_view col) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == col) return i;
  }
  throw std::out_of_range("no column '" + std::string(col) + "' in result");
}

const Value& Rows::Row::at(std::string_view col) const {
  return rows->data[index][rows->column_index(col)];
}

bool Rows::Row::is_null(std::string_view col) const {
  return std::holds_alternative<Null>(at(col));
}

std::string Rows::Row::str(std::string_view col) const {
  const Value& v = at(col);
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v)) return std::to_string(*d);
  return {};
}

int64_t Rows::Row::i64(std::string_view col) const {
  const Value& v = at(col);
  if (auto* i = std::get_if<int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  if (auto* s = std::get_if<std::string>(&v)) return s->empty() ? 0 : std::stoll(*s);
  return 0;
}

double Rows::Row::f64(std::string_view col) const {
  const Value& v = at(col);
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (auto* s = std::get_if<std::string>(&v)) return s->empty() ? 0 : std::stod(*s);
  return 0;
}

int64_t Store::exec(std::string_view sql, const Params& params) {
  int64_t n = 0;
  transact([&](Session& s) { n = s.exec(sql, params); });
  return n;
}

std::unique_ptr<Store> open_store(const std::string& url, const StoreOptions& opts) {
  if (starts_with(url, "postgres://") || starts_with(url, "postgresql://")) {
    return open_postgres(url, opts);
  }
  std::string path = starts_with(url, "sqlite:") ? url.substr(7) : url;
  if (starts_with(path, "//")) path = path.substr(2);
  return open_sqlite(path, opts);
}

Value nullable(const std::string& s) {
  return s.empty() ? Value{Null{}} : Value{s};
}

std::string like_pattern(std::string_view needle) {
  std::string out = "%";
  for (char c : needle) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

}  // namespace hydra::store
