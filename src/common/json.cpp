#include "common/json.h"

#include <cmath>

#include "common/error.h"

namespace hydra::json {

int64_t count_or_zero(const bj::value* v) {
  if (!v) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) {
    uint64_t u = v->get_uint64();
    return u > static_cast<uint64_t>(INT64_MAX) ? 0 : static_cast<int64_t>(u);
  }
  if (v->is_double()) {
    double d = v->get_double();
    // 2^63 is the first double past int64's range; NaN fails both tests.
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return 0;
    double whole = std::trunc(d);
    return whole == d ? static_cast<int64_t>(whole) : 0;
  }
  return 0;
}

bj::value parse(std::string_view text) {
  boost::system::error_code ec;
  bj::parse_options opts;
  opts.max_depth = 64;
  bj::value v = bj::parse(text, ec, {}, opts);
  if (ec) throw_param("request body is not valid JSON: " + ec.message());
  return v;
}

std::string dump(const bj::value& v) {
  return bj::serialize(v);
}

Fields::Fields(const bj::value& v, std::string where)
    : obj_(v.if_object()), where_(std::move(where)) {
  if (!obj_) throw_param(where_ + " must be a JSON object", where_ == "body" ? "" : where_);
}

std::string Fields::name(std::string_view key) const {
  return where_ == "body" ? std::string(key) : where_ + "." + std::string(key);
}

const bj::value* Fields::find(std::string_view key) {
  seen_.emplace(key);
  auto it = obj_->find(key);
  if (it == obj_->end() || it->value().is_null()) return nullptr;
  return &it->value();
}

bool Fields::has(std::string_view key) const {
  auto it = obj_->find(key);
  return it != obj_->end() && !it->value().is_null();
}

void Fields::wrong_type(std::string_view key, const char* expected) const {
  throw_param("'" + name(key) + "' must be " + expected, name(key));
}

std::optional<std::string> Fields::opt_str(std::string_view key) {
  const bj::value* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) wrong_type(key, "a string");
  return std::string(v->get_string());
}

std::string Fields::str(std::string_view key) {
  auto v = opt_str(key);
  if (!v) throw_param("'" + name(key) + "' is required", name(key));
  return *v;
}

std::optional<int64_t> Fields::opt_i64(std::string_view key) {
  const bj::value* v = find(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= INT64_MAX) return static_cast<int64_t>(v->get_uint64());
  if (v->is_double()) {
    double d = v->get_double();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15)
      return static_cast<int64_t>(d);
  }
  wrong_type(key, "an integer");
}

int64_t Fields::i64(std::string_view key) {
  auto v = opt_i64(key);
  if (!v) throw_param("'" + name(key) + "' is required", name(key));
  return *v;
}

std::optional<double> Fields::opt_f64(std::string_view key) {
  const bj::value* v = find(key);
  if (!v) return std::nullopt;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  wrong_type(key, "a number");
}

double Fields::f64(std::string_view key) {
  auto v = opt_f64(key);
  if (!v) throw_param("'" + name(key) + "' is required", name(key));
  return *v;
}

std::optional<bool> Fields::opt_bool(std::string_view key) {
  const bj::value* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_bool()) wrong_type(key, "a boolean");
  return v->get_bool();
}

bool Fields::boolean(std::string_view key) {
  auto v = opt_bool(key);
  if (!v) throw_param("'" + name(key) + "' is required", name(key));
  return *v;
}

std::optional<std::vector<std::string>> Fields::opt_str_list(std::string_view key) {
  const bj::value* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_array()) wrong_type(key, "an array of strings");
  std::vector<std::string> out;
  for (const auto& item : v->get_array()) {
    if (!item.is_string()) wrong_type(key, "an array of strings");
    out.emplace_back(item.get_string());
  }
  return out;
}

const bj::object* Fields::opt_object(std::string_view key) {
  const bj::value* v = find(key);
  if (!v) return nullptr;
  if (!v->is_object()) wrong_type(key, "an object");
  return &v->get_object();
}

const bj::array* Fields::opt_array(std::string_view key) {
  const bj::value* v = find(key);
  if (!v) return nullptr;
  if (!v->is_array()) wrong_type(key, "an array");
  return &v->get_array();
}

const bj::value* Fields::opt_value(std::string_view key) {
  return find(key);
}

void Fields::done() const {
  for (const auto& kv : *obj_) {
    if (!seen_.count(kv.key())) {
      throw_param("unknown field '" + name(kv.key()) + "'", name(kv.key()));
    }
  }
}

}  // namespace hydra::json
