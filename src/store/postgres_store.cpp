#include "store/postgres_store.h"

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>

#include "common/log.h"
#include "store/migrations.h"
#include "store/postgres_sql.h"

namespace hydra::store {
namespace {

constexpr int kMaxAttempts = 5;                          // per transaction, on transient failures
constexpr int64_t kMigrationLockKey = 0x687964726d;      // pg_advisory_lock key for migrate()
constexpr size_t kSqlInErrors = 160;                     // how much SQL an error message quotes
constexpr std::chrono::milliseconds kOverflowWait{500};  // see Pool::acquire

// The server rolled the transaction back to break a conflict; running it again may succeed.
class TransientConflict : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The connection died (server restart, idle kill, network). Nothing of the
// current transaction was committed unless this happened during COMMIT.
class ConnectionLost : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

std::string trimmed_message(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string sql_excerpt(std::string_view sql) {
  if (sql.size() <= kSqlInErrors) return std::string(sql);
  return std::string(sql.substr(0, kSqlInErrors)) + "...";
}

void ignore_notice(void*, const char*) {}

class Connection : public Session {
 public:
  explicit Connection(const std::string& url) {
    // Defaults first: expanding `dbname` (the URL) overrides any of them it names.
    const char* keys[] = {"connect_timeout", "application_name", "client_encoding", "dbname",
                          nullptr};
    const char* values[] = {"10", "hydra", "UTF8", url.c_str(), nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    if (PQstatus(conn_) != CONNECTION_OK) {
      // The message names host and port but never the password in the URL.
      std::string msg = "postgres connect: " + trimmed_message(PQerrorMessage(conn_));
      PQfinish(conn_);
      throw std::runtime_error(msg);
    }
    PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
  }
  ~Connection() override { PQfinish(conn_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Rows query(std::string_view sql, const Params& params) override {
    int expected = 0;
    std::string text = pg::rewrite_placeholders(sql, &expected);
    if (expected != static_cast<int>(params.size())) {
      throw std::runtime_error(sql_excerpt(sql) + ": expects " + std::to_string(expected) +
                               " parameters, got " + std::to_string(params.size()));
    }
    std::vector<std::optional<std::string>> texts;
    std::vector<const char*> ptrs;
    texts.reserve(params.size());
    for (const auto& p : params) {
      texts.push_back(pg::param_text(p));
      ptrs.push_back(texts.back() ? texts.back()->c_str() : nullptr);
    }
    Result res(PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr,
                            ptrs.data(), nullptr, nullptr, 0));
    check(res.get(), sql);
    return to_rows(res.get());
  }

  // A parameterless command such as BEGIN; returns its status tag.
  std::string command(const char* sql) {
    Result res(PQexec(conn_, sql));
    check(res.get(), sql);
    return PQcmdStatus(res.get());
  }

  bool healthy() const { return PQstatus(conn_) == CONNECTION_OK; }
  bool idle() const { return PQtransactionStatus(conn_) == PQTRANS_IDLE; }

 private:
  void check(PGresult* res, std::string_view sql) {
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return;
    std::string msg = trimmed_message(res ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
    if (msg.empty()) msg = trimmed_message(PQerrorMessage(conn_));
    msg = sql_excerpt(sql) + ": " + msg;
    if (!healthy()) throw ConnectionLost(msg);
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    std::string_view code = state ? state : "";
    if (code == "23505") throw UniqueViolation(msg);
    if (code == "40001" || code == "40P01") throw TransientConflict(msg);
    throw std::runtime_error(msg);
  }

  static Rows to_rows(PGresult* res) {
    Rows rows;
    int ncol = PQnfields(res);
    int nrow = PQntuples(res);
    std::vector<unsigned> types(ncol);
    for (int c = 0; c < ncol; ++c) {
      rows.columns.emplace_back(PQfname(res, c));
      types[c] = PQftype(res, c);
    }
    rows.data.reserve(nrow);
    for (int r = 0; r < nrow; ++r) {
      std::vector<Value> row;
      row.reserve(ncol);
      for (int c = 0; c < ncol; ++c) {
        if (PQgetisnull(res, r, c)) {
          row.emplace_back(Null{});
        } else {
          row.push_back(pg::decode_cell(
              types[c], std::string_view(PQgetvalue(res, r, c), PQgetlength(res, r, c))));
        }
      }
      rows.data.push_back(std::move(row));
    }
    const char* tuples = PQcmdTuples(res);
    rows.affected = (tuples && *tuples) ? std::stoll(tuples) : 0;
    return rows;
  }

  PGconn* conn_ = nullptr;
};

// At most `size` open connections; callers wait when all are in use.
class Pool {
 public:
  Pool(std::string url, int size) : url_(std::move(url)), size_(size < 1 ? 1 : size) {}

  // Hands a connection back to the pool when it goes out of scope.
  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), conn_(std::move(o.conn_)) {}
    ~Lease() {
      if (pool_) pool_->release(std::move(conn_));
    }
    Connection& operator*() { return *conn_; }
    Connection* operator->() { return conn_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  // Waits for a free connection. A transaction that calls Store::query
  // needs a second connection while holding one; when every holder does
  // that at once, waiting forever would deadlock, so after kOverflowWait an
  // extra connection is opened and closed again on release.
  Lease acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    bool free = cv_.wait_for(lock, kOverflowWait, [&] { return !idle_.empty() || open_ < size_; });
    if (!free) {
      spdlog::warn("store: all {} PostgreSQL connections busy for {} ms; opening an extra one",
                   size_, kOverflowWait.count());
    }
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    ++open_;
    lock.unlock();
    try {
      return Lease(this, std::make_unique<Connection>(url_));
    } catch (...) {
      release(nullptr);
      throw;
    }
  }

  // After one pooled connection turned out dead the idle ones probably are
  // too (a server restart), so they are closed instead of tried one by one.
  void drop_idle() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ -= static_cast<int>(idle_.size());
    idle_.clear();
    cv_.notify_all();
  }

  const std::string& url() const { return url_; }

 private:
  // Broken connections, and any left inside a transaction, are closed rather than reused.
  void release(std::unique_ptr<Connection> conn) {
    std::lock_guard<std::mutex> lock(mu_);
    if (conn && conn->healthy() && conn->idle() && open_ <= size_) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
    cv_.notify_one();
  }

  std::string url_;
  int size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;
};

void backoff(int attempt) {
  thread_local std::minstd_rand rng(std::random_device{}());
  int base_ms = 2 << attempt;
  std::uniform_int_distribution<int> jitter(0, base_ms);
  std::this_thread::sleep_for(std::chrono::milliseconds(base_ms + jitter(rng)));
}

void rollback_quietly(Connection& conn) {
  try {
    if (conn.healthy() && !conn.idle()) conn.command("ROLLBACK");
  } catch (...) {
    // The connection is closed on release when it is not idle.
  }
}

class PostgresStore : public Store {
 public:
  PostgresStore(const std::string& url, const StoreOptions& opts) : pool_(url, opts.pool_size) {
    pool_.acquire();  // fail now, not on first use, when the server cannot be reached
  }

  Dialect dialect() const override { return Dialect::kPostgres; }

  // Two processes starting at once would both see a migration as missing;
  // the advisory lock makes the second wait and then find it applied. The
  // lock lives on its own connection because the pool may have only one.
  void migrate() override {
    Connection lock_conn(pool_.url());
    lock_conn.query("SELECT pg_advisory_lock(?)", {kMigrationLockKey});
    try {
      apply_migrations(*this);
    } catch (...) {
      unlock_quietly(lock_conn);
      throw;
    }
    unlock_quietly(lock_conn);
  }

  void transact(const std::function<void(Session&)>& fn) override {
    for (int attempt = 1;; ++attempt) {
      try {
        run_once(fn);
        return;
      } catch (const TransientConflict&) {
        if (attempt >= kMaxAttempts) throw;
      } catch (const ConnectionLost&) {
        pool_.drop_idle();
        if (attempt >= kMaxAttempts) throw;
      }
      backoff(attempt);
    }
  }

  Rows query(std::string_view sql, const Params& params) override {
    // A pooled connection may have died while idle; each retry takes another or a new one.
    for (int attempt = 1;; ++attempt) {
      try {
        auto conn = pool_.acquire();
        return conn->query(sql, params);
      } catch (const ConnectionLost&) {
        pool_.drop_idle();
        if (attempt >= kMaxAttempts) throw;
      }
    }
  }

  int64_t schema_version() override {
    auto r = query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations", {});
    return r[0].i64("v");
  }

  std::string integrity_check() override {
    try {
      query("SELECT 1", {});
      return "ok";
    } catch (const std::exception& e) {
      return std::string("server not answering: ") + e.what();
    }
  }

 private:
  // Connection loss before COMMIT means nothing was committed, so it is
  // retried like a conflict; during COMMIT the outcome is unknown and the
  // error goes to the caller as a plain failure.
  void run_once(const std::function<void(Session&)>& fn) {
    auto conn = pool_.acquire();
    conn->discard_after_commit();
    conn->command("BEGIN");
    try {
      fn(*conn);
    } catch (...) {
      rollback_quietly(*conn);
      throw;
    }
    std::string status;
    try {
      status = conn->command("COMMIT");
    } catch (const ConnectionLost& e) {
      throw std::runtime_error(std::string("commit outcome unknown: ") + e.what());
    } catch (...) {
      rollback_quietly(*conn);
      throw;
    }
    // A transaction that hit an error which fn swallowed ends in ROLLBACK, not COMMIT.
    if (status != "COMMIT") {
      throw std::runtime_error(
          "transaction rolled back: a statement in it failed (on PostgreSQL a failed statement "
          "aborts the whole transaction)");
    }
    conn->run_after_commit();
  }

  static void unlock_quietly(Connection& conn) {
    try {
      conn.query("SELECT pg_advisory_unlock(?)", {kMigrationLockKey});
    } catch (...) {
      // Closing the connection releases the lock anyway.
    }
  }

  Pool pool_;
};

}  // namespace

std::unique_ptr<Store> open_postgres(const std::string& url, const StoreOptions& opts) {
  return std::make_unique<PostgresStore>(url, opts);
}

}  // namespace hydra::store
