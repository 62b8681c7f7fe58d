#pragma once
// The store: one interface over SQLite and PostgreSQL. Callers write plain
// SQL with `?` placeholders in the common dialect (TEXT, BIGINT, DOUBLE
// PRECISION, ON CONFLICT, RETURNING, LIMIT/OFFSET); the PostgreSQL backend
// rewrites placeholders to $n. Booleans are BIGINT 0/1, times BIGINT
// milliseconds, ids TEXT, structured fields JSON in TEXT.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

namespace hydra::store {

using Null = std::monostate;
using Value = std::variant<Null, int64_t, double, std::string>;
using Params = std::vector<Value>;

// Result rows with columns by name. Values convert leniently between the
// numeric types because the two backends report them differently.
class Rows {
 public:
  struct Row {
    const Rows* rows;
    size_t index;
    const Value& at(std::string_view col) const;
    bool is_null(std::string_view col) const;
    std::string str(std::string_view col) const;  // "" for NULL
    int64_t i64(std::string_view col) const;      // 0 for NULL
    double f64(std::string_view col) const;
    bool boolean(std::string_view col) const { return i64(col) != 0; }
  };

  std::vector<std::string> columns;
  std::vector<std::vector<Value>> data;
  int64_t affected = 0;

  size_t size() const { return data.size(); }
  bool empty() const { return data.empty(); }
  Row operator[](size_t i) const { return Row{this, i}; }
  size_t column_index(std::string_view col) const;

  struct Iterator {
    const Rows* rows;
    size_t i;
    Row operator*() const { return Row{rows, i}; }
    Iterator& operator++() {
      ++i;
      return *this;
    }
    bool operator!=(const Iterator& o) const { return i != o.i; }
  };
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, data.size()}; }
};

// One connection's view inside a transaction (or a single autocommit call).
class Session {
 public:
  virtual ~Session() = default;
  virtual Rows query(std::string_view sql, const Params& params = {}) = 0;
  // Returns the number of rows changed.
  int64_t exec(std::string_view sql, const Params& params = {}) {
    return query(sql, params).affected;
  }

  // Runs `fn` once the enclosing transaction has committed (never when it
  // rolls back): the place to invalidate in-memory caches of what it changed,
  // so no reader can cache the old rows under the new version.
  void after_commit(std::function<void()> fn) { after_commit_.push_back(std::move(fn)); }

  // For store implementations: at the start of a transaction, and after it ended.
  void discard_after_commit() { after_commit_.clear(); }
  void run_after_commit() {
    auto fns = std::move(after_commit_);
    after_commit_.clear();
    for (auto& fn : fns) fn();
  }

 private:
  std::vector<std::function<void()>> after_commit_;
};

enum class Dialect { kSqlite, kPostgres };

// Thrown on conflicts the caller may want to turn into 409 (unique keys).
class UniqueViolation : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Store {
 public:
  virtual ~Store() = default;
  virtual Dialect dialect() const = 0;
  // Applies pending migrations; safe to call on every start.
  virtual void migrate() = 0;
  // Runs `fn` in one transaction: commit when it returns, roll back when it
  // throws (the exception propagates). Retries on transient lock conflicts.
  virtual void transact(const std::function<void(Session&)>& fn) = 0;
  // Read-only convenience outside an explicit transaction.
  virtual Rows query(std::string_view sql, const Params& params = {}) = 0;
  virtual int64_t schema_version() = 0;
  // Backend health and integrity: "ok" or the problems found.
  virtual std::string integrity_check() = 0;

  int64_t exec(std::string_view sql, const Params& params = {});
};

struct StoreOptions {
  std::string synchronous = "FULL";  // SQLite only
  int pool_size = 8;
};

// url: "sqlite:PATH", a bare path, or "postgres://..."/"postgresql://...".
std::unique_ptr<Store> open_store(const std::string& url, const StoreOptions& opts = {});

// Helpers for building SQL.
Value nullable(const std::string& s);               // "" becomes NULL
std::string like_pattern(std::string_view needle);  // %needle% with wildcards escaped

}  // namespace hydra::store
