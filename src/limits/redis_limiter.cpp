#include "limits/redis_limiter.h"

#include <hiredis/hiredis.h>

#include <boost/asio/post.hpp>
#include <functional>
#include <thread>

#include "common/clock.h"
#include "common/log.h"
#include "common/random.h"
#include "http/stream.h"
#include "limits/redis_scripts.h"

namespace hydra::limits {

struct RedisLimiter::Conn {
  redisContext* ctx = nullptr;
  std::string acquire_sha;
  std::string settle_sha;
  ~Conn() {
    if (ctx) redisFree(ctx);
  }
};

void RedisLimiter::ReplyDeleter::operator()(void* r) const {
  if (r) freeReplyObject(r);
}

namespace {

timeval to_timeval(int64_t ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  return tv;
}

redisReply* command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
}

// Runs a command whose answer must not be an error; the text of the error otherwise.
std::string command_ok(redisContext* c, const std::vector<std::string>& args, std::string* out) {
  redisReply* r = command(c, args);
  if (!r) return c->errstr[0] ? c->errstr : "connection lost";
  std::string err;
  if (r->type == REDIS_REPLY_ERROR) {
    err = std::string(r->str, r->len);
  } else if (out && r->type == REDIS_REPLY_STRING) {
    *out = std::string(r->str, r->len);
  }
  freeReplyObject(r);
  return err;
}

int64_t reply_int(const redisReply* r) {
  if (r->type == REDIS_REPLY_INTEGER) return r->integer;
  if (r->type == REDIS_REPLY_STRING) return std::stoll(std::string(r->str, r->len));
  return 0;
}

}  // namespace

RedisLimiter::RedisLimiter(const std::string& url, http::Metrics* metrics, RedisLimiterOptions opts)
    : url_(parse_redis_url(url)),
      metrics_(metrics),
      opts_(std::move(opts)),
      lease_prefix_(new_id() + ":"),
      threads_(static_cast<size_t>(std::max(1, opts_.threads))) {
  if (metrics_) {
    metrics_->describe("hydra_limits_backend_errors_total", "counter",
                       "Limit checks that could not reach Redis (the request was admitted)");
  }
}

RedisLimiter::~RedisLimiter() {
  drain();
  threads_.join();
}

std::unique_ptr<RedisLimiter::Conn> RedisLimiter::checkout() {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  auto c = std::make_unique<Conn>();
  c->ctx = redisConnectWithTimeout(url_.host.c_str(), url_.port, to_timeval(opts_.timeout_ms));
  if (!c->ctx || c->ctx->err) {
    note_error(std::string("cannot connect: ") + (c->ctx ? c->ctx->errstr : "out of memory"));
    return nullptr;
  }
  redisSetTimeout(c->ctx, to_timeval(opts_.timeout_ms));
  std::string err;
  if (!url_.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!url_.user.empty()) auth.push_back(url_.user);
    auth.push_back(url_.password);
    err = command_ok(c->ctx, auth, nullptr);
  }
  if (err.empty() && url_.db != 0)
    err = command_ok(c->ctx, {"SELECT", std::to_string(url_.db)}, nullptr);
  if (err.empty()) err = command_ok(c->ctx, {"SCRIPT", "LOAD", kAcquireScript}, &c->acquire_sha);
  if (err.empty()) err = command_ok(c->ctx, {"SCRIPT", "LOAD", kSettleScript}, &c->settle_sha);
  if (!err.empty()) {
    note_error("cannot set up the connection: " + err);
    return nullptr;
  }
  return c;
}

void RedisLimiter::checkin(std::unique_ptr<Conn> c) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  idle_.push_back(std::move(c));
}

void RedisLimiter::note_error(const std::string& what) {
  if (metrics_) metrics_->counter_add("hydra_limits_backend_errors_total", {});
  // One line per second at most: an outage must not flood the log.
  int64_t now = now_ms();
  int64_t last = last_error_log_ms_.load();
  if (now - last >= 1000 && last_error_log_ms_.compare_exchange_strong(last, now)) {
    spdlog::warn("rate limits: Redis {}:{}: {}; admitting requests unchecked", url_.host, url_.port,
                 what);
  }
}

RedisLimiter::Reply RedisLimiter::run_script(Conn& c, bool settle_script,
                                             const std::vector<std::string>& args) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::vector<std::string> argv = args;
    argv[1] = settle_script ? c.settle_sha : c.acquire_sha;
    redisReply* r = command(c.ctx, argv);
    if (!r) {
      note_error(c.ctx->errstr[0] ? c.ctx->errstr : "connection lost");
      return nullptr;
    }
    Reply reply(r);
    if (r->type == REDIS_REPLY_ERROR && std::string_view(r->str, r->len).starts_with("NOSCRIPT")) {
      // The server lost its script cache (restart, SCRIPT FLUSH): load again.
      std::string* sha = settle_script ? &c.settle_sha : &c.acquire_sha;
      std::string err = command_ok(
          c.ctx, {"SCRIPT", "LOAD", settle_script ? kSettleScript : kAcquireScript}, sha);
      if (!err.empty()) {
        note_error(err);
        return nullptr;
      }
      continue;
    }
    return reply;
  }
  return nullptr;
}

std::string RedisLimiter::bucket_key(const Take& t) const {
  std::string k = opts_.key_prefix;
  k.append(t.rule_id).append(":").append(t.subject);
  if (!t.subject2.empty()) k.append(":").append(t.subject2);
  return k;
}

int RedisLimiter::acquire_blocking(std::span<Take> takes) {
  if (takes.empty()) return -1;
  std::vector<std::string> args{"EVALSHA", "", std::to_string(takes.size())};
  for (auto& t : takes) args.push_back(bucket_key(t));
  args.push_back(std::to_string(opts_.lease_ttl_ms));
  for (auto& t : takes) {
    bool conc = t.metric == Metric::kConcurrency;
    if (conc) t.lease = next_lease_++;
    args.push_back(conc ? "c" : "w");
    args.push_back(std::to_string(t.limit));
    args.push_back(std::to_string(t.window_ms));
    args.push_back(std::to_string(conc ? 1 : t.amount));
    args.push_back(lease_prefix_ + std::to_string(t.lease));
  }
  auto conn = checkout();
  if (!conn) return -1;
  Reply reply = run_script(*conn, false, args);
  if (!reply) return -1;  // the connection is dropped with `conn`
  auto* r = static_cast<redisReply*>(reply.get());
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 4) {
    note_error(r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : "unexpected reply");
    checkin(std::move(conn));
    return -1;
  }
  int64_t now = reply_int(r->element[3]);
  auto place = [now](Take& t) {
    if (t.metric == Metric::kConcurrency) return;
    t.window_start = now - now % t.window_ms;
    t.reset_ms = t.window_start + t.window_ms - now;
  };
  int refused = -1;
  if (reply_int(r->element[0]) == 1) {
    for (size_t i = 0; i < takes.size() && 4 + i < r->elements; ++i) {
      takes[i].granted = true;
      takes[i].used = reply_int(r->element[4 + i]);
      place(takes[i]);
    }
  } else {
    refused = static_cast<int>(reply_int(r->element[1]) - 1);
    if (refused >= 0 && refused < static_cast<int>(takes.size())) {
      takes[static_cast<size_t>(refused)].used = reply_int(r->element[2]);
      place(takes[static_cast<size_t>(refused)]);
    }
  }
  reply.reset();
  checkin(std::move(conn));
  return refused;
}

boost::asio::awaitable<int> RedisLimiter::acquire(std::span<Take> takes) {
  std::function<int()> fn = [this, takes] { return acquire_blocking(takes); };
  int refused = co_await http::run_blocking<int>(threads_.get_executor(), std::move(fn));
  co_return refused;
}

void RedisLimiter::settle_blocking(const std::vector<std::string>& args) {
  auto conn = checkout();
  if (!conn) return;
  Reply reply = run_script(*conn, true, args);
  if (reply) checkin(std::move(conn));
}

void RedisLimiter::settle(std::span<const Take> takes, std::span<const int64_t> actual) {
  std::vector<std::string> keys;
  std::vector<std::string> rest;
  for (size_t i = 0; i < takes.size(); ++i) {
    const Take& t = takes[i];
    if (!t.granted) continue;
    bool conc = t.metric == Metric::kConcurrency;
    int64_t back = 0;
    if (!conc) {
      if (i >= actual.size() || actual[i] < 0 || actual[i] == t.amount) continue;
      back = t.amount - actual[i];
    }
    keys.push_back(bucket_key(t));
    rest.push_back(conc ? "c" : "w");
    rest.push_back(std::to_string(t.window_ms));
    rest.push_back(std::to_string(t.window_start));
    rest.push_back(std::to_string(back));
    rest.push_back(lease_prefix_ + std::to_string(t.lease));
  }
  if (keys.empty()) return;
  std::vector<std::string> args{"EVALSHA", "", std::to_string(keys.size())};
  args.insert(args.end(), keys.begin(), keys.end());
  args.push_back("0");
  args.insert(args.end(), rest.begin(), rest.end());
  ++pending_settles_;
  boost::asio::post(threads_, [this, args = std::move(args)] {
    settle_blocking(args);
    --pending_settles_;
  });
}

bool RedisLimiter::ping() {
  auto conn = checkout();
  if (!conn) return false;
  std::string err = command_ok(conn->ctx, {"PING"}, nullptr);
  if (!err.empty()) return false;
  checkin(std::move(conn));
  return true;
}

void RedisLimiter::drain() {
  while (pending_settles_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

}  // namespace hydra::limits
