#include "gateway/upstream_client.h"

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/strings.h"
#include "http/url.h"
#include "http/watchdog.h"
#include "http/wire_head.h"
#include "http/wire_parse.h"

namespace hydra::gateway {

namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

namespace {
// Upstreams commonly drop idle keep-alive connections after about a minute;
// older ones are not worth the risk of a failed first write.
constexpr int64_t kMaxIdleAgeMs = 30000;
constexpr size_t kReadPiece = 16384;

// Idle ages are tens of seconds and stamped twice per request: the coarse
// clock does.
int64_t idle_clock_ms() {
  return coarse_mono_ns() / 1000000;
}
}  // namespace

struct UpstreamConn {
  std::string key;
  const void* context = nullptr;   // the io_context its socket lives on
  asio::any_io_executor executor;  // that context's: the socket and watchdog are used there only
  std::unique_ptr<tcp::socket> plain;
  std::unique_ptr<ssl::stream<tcp::socket>> tls;
  beast::flat_buffer buffer;
  std::atomic<bool> timed_out{false};
  int64_t idle_since_ms = 0;
  // Closes the socket when a step overruns its time (on the connection's context).
  std::unique_ptr<http::Watchdog> watchdog;

  tcp::socket& lowest() { return tls ? tls->next_layer() : *plain; }
  void close() {
    boost::system::error_code ec;
    lowest().close(ec);
  }
};

// Open and idle connections per "scheme://host:port". Idle connections are
// kept per io_context: each network thread runs its own, and a socket is
// reused only by requests served on the context it belongs to, so its I/O
// never crosses threads.
class UpstreamPool {
 public:
  explicit UpstreamPool(UpstreamOptions o) : opts(std::move(o)) {
    tls.set_default_verify_paths();
    if (!opts.ca_file.empty()) tls.load_verify_file(opts.ca_file);
    tls.set_verify_mode(opts.verify_tls ? ssl::verify_peer : ssl::verify_none);
  }

  enum class Take { kReused, kSlot, kFull };

  // A pooled connection, or a reserved slot for a new one, or kFull.
  Take take(const std::string& key, const void* context, bool allow_reuse,
            std::shared_ptr<UpstreamConn>* out) {
    std::lock_guard<std::mutex> lock(mu);
    Host& h = hosts[key];
    auto& idle = h.idle[context];
    int64_t now = idle_clock_ms();
    while (allow_reuse && !idle.empty()) {
      auto c = std::move(idle.back());
      idle.pop_back();
      if (now - c->idle_since_ms <= kMaxIdleAgeMs) {
        *out = std::move(c);
        return Take::kReused;
      }
      c->close();
      h.open--;
    }
    if (h.open < opts.max_connections_per_host) {
      h.open++;
      return Take::kSlot;
    }
    // At the cap, a connection idling on another thread is closed so its
    // slot serves this one: otherwise a request could wait out the cap
    // beside an unused connection.
    // It is closed and let go on its own thread, where its socket and
    // watchdog live.
    for (auto& [other, others_idle] : h.idle) {
      if (others_idle.empty()) continue;
      std::shared_ptr<UpstreamConn> victim = std::move(others_idle.front());
      others_idle.pop_front();
      asio::any_io_executor home = victim->executor;
      asio::post(home, [victim = std::move(victim)] { victim->close(); });
      return Take::kSlot;
    }
    return Take::kFull;
  }

  void give_back(std::shared_ptr<UpstreamConn> c) {
    std::lock_guard<std::mutex> lock(mu);
    Host& h = hosts[c->key];
    auto& idle = h.idle[c->context];
    if (idle.size() >= opts.max_idle_per_host) {
      c->close();
      h.open--;
      return;
    }
    c->idle_since_ms = idle_clock_ms();
    idle.push_back(std::move(c));
  }

  void drop(const std::shared_ptr<UpstreamConn>& c) {
    c->close();
    std::lock_guard<std::mutex> lock(mu);
    hosts[c->key].open--;
  }

  // Idle connections belong to the io_context of the request that opened
  // them, so they must be gone before that io_context is destroyed.
  void close_idle() {
    std::vector<std::shared_ptr<UpstreamConn>> doomed;
    {
      std::lock_guard<std::mutex> lock(mu);
      for (auto& [key, h] : hosts) {
        for (auto& [context, idle] : h.idle) {
          h.open -= idle.size();
          for (auto& c : idle) doomed.push_back(std::move(c));
        }
        h.idle.clear();
      }
    }
    for (auto& c : doomed) c->close();
  }

  size_t open(const std::string& key) const {
    std::lock_guard<std::mutex> lock(mu);
    auto it = hosts.find(key);
    return it == hosts.end() ? 0 : it->second.open;
  }
  size_t idle(const std::string& key) const {
    std::lock_guard<std::mutex> lock(mu);
    auto it = hosts.find(key);
    if (it == hosts.end()) return 0;
    size_t n = 0;
    for (const auto& [context, idle] : it->second.idle) n += idle.size();
    return n;
  }

  UpstreamOptions opts;
  ssl::context tls{ssl::context::tls_client};

 private:
  struct Host {
    size_t open = 0;
    std::map<const void*, std::deque<std::shared_ptr<UpstreamConn>>> idle;
  };
  mutable std::mutex mu;
  std::map<std::string, Host> hosts;
};

struct UpstreamExchange::State {
  http::Url url;
  std::string key;
  std::string head;  // the request's head and body, sent as one write
  std::string body;
  std::shared_ptr<UpstreamConn> conn;
  http::ResponseHead response;  // status, fields and the body's framing
  http::ChunkedDecoder chunks;  // for a chunked body
  uint64_t left = 0;            // bytes of a body with a length still to come
  uint64_t body_bytes = 0;      // decoded so far, against max_response_bytes
  bool body_done = false;
  bool reusable = false;

  void arm(int64_t ms) { conn->watchdog->arm(ms); }
  void disarm() { conn->watchdog->disarm(); }
  std::string_view buffered() const {
    return {static_cast<const char*>(conn->buffer.data().data()), conn->buffer.size()};
  }
  [[noreturn]] void fail(const char* what, const boost::system::error_code& ec) {
    if (conn->timed_out) {
      throw UpstreamError(UpstreamFailure::kTimeout,
                          std::string(what) + " timed out (" + key + ")");
    }
    fail(what, ec.message());
  }
  [[noreturn]] void fail(const char* what, const std::string& why) {
    throw UpstreamError(UpstreamFailure::kIo, std::string(what) + " failed (" + key + "): " + why);
  }
};

namespace {

// Resolves, connects and, for https, shakes hands. Throws kConnect.
asio::awaitable<void> open_connection(UpstreamPool& pool, UpstreamConn& conn, const http::Url& url,
                                      std::function<void(int64_t)> arm) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  auto [rec, results] = co_await resolver.async_resolve(url.host, std::to_string(url.port),
                                                        asio::as_tuple(use_awaitable));
  if (rec)
    throw UpstreamError(UpstreamFailure::kConnect,
                        "cannot resolve " + url.host + ": " + rec.message());
  arm(pool.opts.connect_timeout_ms);
  boost::system::error_code last = asio::error::host_not_found;
  bool connected = false;
  for (const auto& entry : results) {
    if (conn.timed_out) break;
    boost::system::error_code ignored;
    conn.plain->close(ignored);
    auto [cec] =
        co_await conn.plain->async_connect(entry.endpoint(), asio::as_tuple(use_awaitable));
    if (!cec) {
      connected = true;
      break;
    }
    last = cec;
  }
  std::string where = url.host + ":" + std::to_string(url.port);
  if (!connected) {
    throw UpstreamError(
        UpstreamFailure::kConnect,
        "cannot connect to " + where + ": " + (conn.timed_out ? "timed out" : last.message()));
  }
  boost::system::error_code ignored;
  conn.plain->set_option(tcp::no_delay(true), ignored);
  if (url.scheme != "https") co_return;
  conn.tls = std::make_unique<ssl::stream<tcp::socket>>(std::move(*conn.plain), pool.tls);
  conn.plain.reset();
  if (!SSL_set_tlsext_host_name(conn.tls->native_handle(), url.host.c_str())) {
    throw UpstreamError(UpstreamFailure::kConnect, "TLS: cannot set server name " + url.host);
  }
  if (pool.opts.verify_tls) conn.tls->set_verify_callback(ssl::host_name_verification(url.host));
  auto [hec] =
      co_await conn.tls->async_handshake(ssl::stream_base::client, asio::as_tuple(use_awaitable));
  if (hec)
    throw UpstreamError(UpstreamFailure::kConnect,
                        "TLS handshake with " + where + ": " + hec.message());
}

}  // namespace

// Sends the request and reads the head; false when nothing came back at
// all (the connection was dead), so a reused connection may be retried.
// Interim (1xx) answers are skipped.
template <class Stream>
static asio::awaitable<bool> send_and_read_head(Stream& s, UpstreamExchange::State& st,
                                                const UpstreamOptions& opts) {
  constexpr size_t kMaxHead = 64 << 10;
  st.arm(opts.first_byte_timeout_ms);
  std::array<asio::const_buffer, 2> message{asio::buffer(st.head), asio::buffer(st.body)};
  auto [wec, wn] = co_await asio::async_write(s, message, asio::as_tuple(use_awaitable));
  if (wec) {
    if (st.conn->timed_out) st.fail("sending the request", wec);
    co_return false;
  }
  auto& buffer = st.conn->buffer;
  bool got_some = buffer.size() > 0;
  for (size_t scanned = 0;;) {
    if (size_t head_bytes = http::head_size(st.buffered(), scanned)) {
      std::string why;
      st.response = {};
      if (!http::parse_response_head(st.buffered().substr(0, head_bytes), st.response, why)) {
        st.fail("reading the response head", why);
      }
      buffer.consume(head_bytes);
      scanned = 0;
      if (st.response.status >= 200 || st.response.status == 101) break;
      continue;
    }
    scanned = buffer.size();
    if (scanned > kMaxHead) st.fail("reading the response head", std::string("head too large"));
    auto [rec, rn] =
        co_await s.async_read_some(buffer.prepare(kReadPiece), asio::as_tuple(use_awaitable));
    if (rec) {
      if (!st.conn->timed_out && !got_some) co_return false;
      st.fail("reading the response head", rec);
    }
    got_some = true;
    buffer.commit(rn);
  }
  st.disarm();
  st.left = st.response.body.length;
  st.body_done = st.response.body.kind == http::BodyFraming::Kind::kNone;
  co_return true;
}

// Moves the body bytes in the connection's buffer to `out` as the framing
// says, decoded; marks the body done at its end.
static void take_body(UpstreamExchange::State& st, std::string& out, const UpstreamOptions& opts) {
  auto& buffer = st.conn->buffer;
  std::string_view have = st.buffered();
  size_t before = out.size();
  switch (st.response.body.kind) {
    case http::BodyFraming::Kind::kLength: {
      auto n = static_cast<size_t>(std::min<uint64_t>(have.size(), st.left));
      out.append(have.substr(0, n));
      buffer.consume(n);
      st.left -= n;
      st.body_done = st.left == 0;
      break;
    }
    case http::BodyFraming::Kind::kChunked:
      buffer.consume(st.chunks.feed(have, out));
      if (st.chunks.failed()) st.fail("reading the response body", std::string("bad chunked body"));
      st.body_done = st.chunks.done();
      break;
    case http::BodyFraming::Kind::kUntilClose:
      out.append(have);
      buffer.consume(have.size());
      break;
    case http::BodyFraming::Kind::kNone:
      st.body_done = true;
      break;
  }
  st.body_bytes += out.size() - before;
  if (st.body_bytes > static_cast<uint64_t>(opts.max_response_bytes)) {
    st.fail("reading the response body", std::string("body limit exceeded"));
  }
}

// The next decoded body bytes ("" when the message is complete).
template <class Stream>
static asio::awaitable<std::string> read_piece(Stream& s, UpstreamExchange::State& st,
                                               int64_t timeout_ms, const UpstreamOptions& opts) {
  std::string out;
  auto& buffer = st.conn->buffer;
  for (;;) {
    if (buffer.size() > 0) take_body(st, out, opts);
    if (!out.empty() || st.body_done) break;
    st.arm(timeout_ms);
    auto [ec, n] =
        co_await s.async_read_some(buffer.prepare(kReadPiece), asio::as_tuple(use_awaitable));
    st.disarm();
    if (ec) {
      bool closed = ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
      if (closed && !st.conn->timed_out &&
          st.response.body.kind == http::BodyFraming::Kind::kUntilClose) {
        st.body_done = true;  // the body ends where the connection does
        break;
      }
      st.fail("reading the response body", ec);
    }
    buffer.commit(n);
  }
  co_return out;
}

UpstreamExchange::UpstreamExchange(std::shared_ptr<UpstreamPool> pool) : pool_(std::move(pool)) {}

UpstreamExchange::~UpstreamExchange() {
  if (!st_ || !st_->conn) return;
  st_->disarm();
  if (done_ && st_->reusable && !st_->conn->timed_out) {
    pool_->give_back(std::move(st_->conn));
  } else {
    pool_->drop(st_->conn);
  }
}

void UpstreamExchange::release() {
  if (!done_ || !st_ || !st_->conn || !st_->reusable || st_->conn->timed_out) return;
  st_->disarm();
  pool_->give_back(std::move(st_->conn));
  st_->conn.reset();
}

void UpstreamExchange::abort() {
  if (st_ && st_->conn) {
    done_ = false;
    st_->conn->close();
  }
}

void UpstreamExchange::half_close() {
  if (st_ && st_->conn) {
    boost::system::error_code ec;
    st_->conn->lowest().shutdown(tcp::socket::shutdown_send, ec);
  }
}

const std::string* UpstreamExchange::header(std::string_view lower_name) const {
  return http::find_header(headers_, lower_name);
}

asio::awaitable<bool> UpstreamExchange::attempt(bool allow_reuse) {
  State& st = *st_;
  std::shared_ptr<UpstreamConn> conn;
  auto executor = co_await asio::this_coro::executor;
  const void* context = &asio::query(executor, asio::execution::context);
  auto taken = pool_->take(st.key, context, allow_reuse, &conn);
  if (taken == UpstreamPool::Take::kFull) {
    // Wait for a slot, briefly polling: the cap is a safety valve, not a queue.
    auto deadline = mono_ns() + pool_->opts.connect_timeout_ms * 1000000;
    asio::steady_timer wait(co_await asio::this_coro::executor);
    while (taken == UpstreamPool::Take::kFull) {
      if (mono_ns() > deadline) {
        throw UpstreamError(UpstreamFailure::kBusy, "connection limit reached for " + st.key);
      }
      wait.expires_after(std::chrono::milliseconds(2));
      co_await wait.async_wait(asio::as_tuple(use_awaitable));
      taken = pool_->take(st.key, context, allow_reuse, &conn);
    }
  }
  bool reused = taken == UpstreamPool::Take::kReused;
  if (!reused) {
    conn = std::make_shared<UpstreamConn>();
    conn->key = st.key;
    conn->context = context;
    conn->executor = executor;
    conn->plain = std::make_unique<tcp::socket>(executor);
    UpstreamConn* raw = conn.get();  // the watchdog dies with the connection
    conn->watchdog = std::make_unique<http::Watchdog>(executor, [raw] {
      raw->timed_out = true;
      raw->close();
    });
  }
  st.conn = conn;
  if (!reused) {
    State* self = &st;
    std::function<void(int64_t)> arm = [self](int64_t ms) { self->arm(ms); };
    co_await open_connection(*pool_, *conn, st.url, std::move(arm));
    st.disarm();
  }
  bool answered = false;
  if (conn->tls) {
    answered = co_await send_and_read_head(*conn->tls, st, pool_->opts);
  } else {
    answered = co_await send_and_read_head(*conn->plain, st, pool_->opts);
  }
  if (!answered && !reused) {
    throw UpstreamError(UpstreamFailure::kNoAnswer,
                        "upstream " + st.key + " closed the connection without answering");
  }
  co_return !answered;
}

namespace {

// An upstream URL taken apart: requests to one endpoint repeat it, so each
// network thread keeps the few it has seen instead of parsing every time.
struct Target {
  http::Url url;
  std::string key;   // scheme://host:port, the pool's key
  std::string host;  // the Host header
};

const Target& target_of(const std::string& url) {
  thread_local std::unordered_map<std::string, Target> seen;
  auto it = seen.find(url);
  if (it != seen.end()) return it->second;
  Target t;
  t.url = http::parse_url(url);
  t.key = t.url.scheme + "://" + t.url.host + ":" + std::to_string(t.url.port);
  bool default_port = t.url.port == (t.url.scheme == "https" ? 443 : 80);
  t.host = default_port ? t.url.host : t.url.host + ":" + std::to_string(t.url.port);
  if (seen.size() >= 1024) seen.clear();  // endpoints come and go; stay small
  return seen.emplace(url, std::move(t)).first->second;
}

}  // namespace

asio::awaitable<void> UpstreamExchange::start(UpstreamRequest r) {
  st_ = std::make_unique<State>();
  State& st = *st_;
  const Target* target = nullptr;
  try {
    target = &target_of(r.url);
  } catch (const std::exception& e) {
    throw UpstreamError(UpstreamFailure::kConnect, e.what());
  }
  st.url = target->url;
  st.key = target->key;
  st.head = http::request_head(r.method, st.url.target, target->host, r.headers, r.body.size());
  st.body = std::move(r.body);

  bool stale = co_await attempt(true);
  if (stale) {
    pool_->drop(st.conn);
    st.conn.reset();
    co_await attempt(false);
  }
  status_ = st.response.status;
  headers_ = std::move(st.response.headers);
  note_done();
}

// A connection carries another request only after a whole answer that
// left nothing unread behind it.
void UpstreamExchange::note_done() {
  if (!st_->body_done) return;
  done_ = true;
  st_->reusable = st_->response.keep_alive && st_->conn && st_->conn->buffer.size() == 0;
}

asio::awaitable<std::string> UpstreamExchange::read_some() {
  std::string piece = co_await read_some_within(pool_->opts.chunk_timeout_ms);
  co_return piece;
}

asio::awaitable<std::string> UpstreamExchange::read_some_within(int64_t timeout_ms) {
  if (done_) co_return std::string();
  std::string piece;
  if (st_->conn->tls) {
    piece = co_await read_piece(*st_->conn->tls, *st_, timeout_ms, pool_->opts);
  } else {
    piece = co_await read_piece(*st_->conn->plain, *st_, timeout_ms, pool_->opts);
  }
  note_done();
  co_return piece;
}

asio::awaitable<std::string> UpstreamExchange::read_all() {
  std::string all;
  // A small answer usually came whole with its head: taken here, it needs
  // no read (and no coroutine frames for one).
  if (!done_ && st_->conn->buffer.size() > 0) {
    take_body(*st_, all, pool_->opts);
    note_done();
  }
  while (!done_) {
    std::string piece = co_await read_some();
    all += piece;
  }
  co_return all;
}

UpstreamClient::UpstreamClient(UpstreamOptions opts)
    : pool_(std::make_shared<UpstreamPool>(std::move(opts))) {}
UpstreamClient::~UpstreamClient() = default;

std::unique_ptr<UpstreamExchange> UpstreamClient::exchange() const {
  return std::make_unique<UpstreamExchange>(pool_);
}
const UpstreamOptions& UpstreamClient::options() const {
  return pool_->opts;
}
void UpstreamClient::close_idle() {
  pool_->close_idle();
}
size_t UpstreamClient::open_connections(const std::string& key) const {
  return pool_->open(key);
}
size_t UpstreamClient::idle_connections(const std::string& key) const {
  return pool_->idle(key);
}

}  // namespace hydra::gateway
