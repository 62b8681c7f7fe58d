#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>

#include "store/migrations.h"

namespace hydra::store {
namespace {

[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
  std::string msg = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  int ext = db ? sqlite3_extended_errcode(db) : rc;
  if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) {
    throw UniqueViolation(msg);
  }
  throw std::runtime_error(msg);
}

// SQLite keeps allocation statistics behind a global mutex by default, a
// lock and unlock for every allocation of every connection; nothing here
// reads them. This must run before SQLite initializes, so it happens once
// before the first connection opens (and is harmless if it is too late).
void configure_sqlite_once() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

class Connection : public Session {
 public:
  Connection(const std::string& path, const StoreOptions& opts) {
    configure_sqlite_once();
    int rc =
        sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = "open " + path + ": " + sqlite3_errstr(rc);
      sqlite3_close(db_);
      throw std::runtime_error(msg);
    }
    sqlite3_busy_timeout(db_, 10000);
    run("PRAGMA journal_mode=WAL");
    run("PRAGMA synchronous=" + (opts.synchronous == "NORMAL" ? std::string("NORMAL") : "FULL"));
    run("PRAGMA foreign_keys=ON");
  }
  ~Connection() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }

  void run(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      throw std::runtime_error(sql + ": " + msg);
    }
  }

  Rows query(std::string_view sql, const Params& params) override {
    sqlite3_stmt* stmt = prepare(sql);
    // Bound text points into `params`: the statement is reset and let go
    // of it on every way out.
    struct Release {
      sqlite3_stmt* stmt;
      ~Release() {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
      }
    } release{stmt};
    bind(stmt, params);
    Rows rows;
    int ncol = sqlite3_column_count(stmt);
    for (int i = 0; i < ncol; ++i) rows.columns.emplace_back(sqlite3_column_name(stmt, i));
    while (true) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        sqlite3_reset(stmt);
        fail(db_, rc, sql);
      }
      rows.data.push_back(read_row(stmt, ncol));
    }
    rows.affected = sqlite3_changes(db_);
    return rows;
  }

  sqlite3* handle() { return db_; }

 private:
  sqlite3_stmt* prepare(std::string_view sql) {
    auto it = cache_.find(sql);
    if (it != cache_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) fail(db_, rc, sql);
    if (cache_.size() > 256) {
      for (auto& [s, st] : cache_) sqlite3_finalize(st);
      cache_.clear();
    }
    cache_.emplace(std::string(sql), stmt);
    return stmt;
  }

  void bind(sqlite3_stmt* stmt, const Params& params) {
    for (size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i + 1);
      const Value& v = params[i];
      if (auto* n = std::get_if<int64_t>(&v)) {
        sqlite3_bind_int64(stmt, idx, *n);
      } else if (auto* d = std::get_if<double>(&v)) {
        sqlite3_bind_double(stmt, idx, *d);
      } else if (auto* s = std::get_if<std::string>(&v)) {
        // Not copied: `params` outlives the statement's use (see query()).
        sqlite3_bind_text(stmt, idx, s->data(), static_cast<int>(s->size()), SQLITE_STATIC);
      } else {
        sqlite3_bind_null(stmt, idx);
      }
    }
  }

  static std::vector<Value> read_row(sqlite3_stmt* stmt, int ncol) {
    std::vector<Value> row;
    row.reserve(ncol);
    for (int i = 0; i < ncol; ++i) {
      switch (sqlite3_column_type(stmt, i)) {
        case SQLITE_INTEGER:
          row.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, i)));
          break;
        case SQLITE_FLOAT:
          row.emplace_back(sqlite3_column_double(stmt, i));
          break;
        case SQLITE_NULL:
          row.emplace_back(Null{});
          break;
        default: {
          auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
          row.emplace_back(std::string(p, sqlite3_column_bytes(stmt, i)));
        }
      }
    }
    return row;
  }

  sqlite3* db_ = nullptr;
  std::map<std::string, sqlite3_stmt*, std::less<>> cache_;
};

class SqliteStore : public Store {
 public:
  SqliteStore(std::string path, StoreOptions opts)
      : path_(std::move(path)), opts_(std::move(opts)) {
    auto parent = std::filesystem::path(path_).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    writer_ = std::make_unique<Connection>(path_, opts_);
  }

  Dialect dialect() const override { return Dialect::kSqlite; }
  void migrate() override { apply_migrations(*this); }

  void transact(const std::function<void(Session&)>& fn) override {
    std::lock_guard<std::mutex> lock(write_mu_);
    writer_->discard_after_commit();
    writer_->run("BEGIN IMMEDIATE");
    try {
      fn(*writer_);
      writer_->run("COMMIT");
    } catch (...) {
      writer_->discard_after_commit();
      try {
        writer_->run("ROLLBACK");
      } catch (...) {
      }
      throw;
    }
    writer_->run_after_commit();
  }

  Rows query(std::string_view sql, const Params& params) override {
    auto conn = acquire();
    try {
      Rows r = conn->query(sql, params);
      release(std::move(conn));
      return r;
    } catch (...) {
      release(std::move(conn));
      throw;
    }
  }

  int64_t schema_version() override {
    auto r = query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations", {});
    return r[0].i64("v");
  }

  std::string integrity_check() override {
    auto r = query("PRAGMA integrity_check", {});
    std::string out;
    for (auto row : r) out += (out.empty() ? "" : "; ") + row.str(r.columns[0]);
    return out;
  }

 private:
  std::unique_ptr<Connection> acquire() {
    std::unique_lock<std::mutex> lock(pool_mu_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    lock.unlock();
    return std::make_unique<Connection>(path_, opts_);
  }

  void release(std::unique_ptr<Connection> c) {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (static_cast<int>(idle_.size()) < opts_.pool_size) idle_.push_back(std::move(c));
  }

  std::string path_;
  StoreOptions opts_;
  std::mutex write_mu_;
  std::unique_ptr<Connection> writer_;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace

std::unique_ptr<Store> open_sqlite(const std::string& path, const StoreOptions& opts) {
  return std::make_unique<SqliteStore>(path, opts);
}

}  // namespace hydra::store
