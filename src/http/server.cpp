#include "http/server.h"

#include <poll.h>
#include <sched.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "common/random.h"
#include "common/strings.h"
#include "http/dispatch.h"
#include "http/request_parse.h"
#include "http/watchdog.h"
#include "http/wire_head.h"
#include "http/wire_parse.h"

namespace hydra::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

bool parse_listen(const std::string& text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 >= text.size()) return false;
  std::string h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  std::string p = text.substr(colon + 1);
  if (p.find_first_not_of("0123456789") != std::string::npos || p.size() > 5) return false;
  int n = std::stoi(p);
  if (n > 65535) return false;
  boost::system::error_code ec;
  net::ip::make_address(h.empty() ? "0.0.0.0" : h, ec);
  if (ec && h != "localhost") return false;
  *host = h.empty() ? "0.0.0.0" : (h == "localhost" ? "127.0.0.1" : h);
  *port = static_cast<uint16_t>(n);
  return true;
}

namespace {

// One live connection, so shutdown can close the idle ones.
struct Conn {
  net::any_io_executor exec;    // its network thread's executor; close() runs only there
  std::function<void()> close;  // cancels the connection's pending I/O
  bool alive = true;            // false once the stream is gone (touched on that thread only)
  std::atomic<bool> idle{true};
};

std::string json_escape(std::string_view s) {
  return boost::json::serialize(boost::json::value(s));
}

// The ResponseWriter of one request on one connection (see stream.h).
template <class Stream>
class StreamWriter : public ResponseWriter {
 public:
  StreamWriter(Stream& stream, Watchdog& dog, unsigned version, bool keep_alive,
               std::string_view request_id, net::any_io_executor workers, int64_t write_timeout_ms)
      : stream_(stream),
        dog_(dog),
        version_(version),
        keep_alive_(keep_alive),
        request_id_(request_id),
        workers_(std::move(workers)),
        timeout_ms_(write_timeout_ms) {}

  net::awaitable<bool> send(Response resp) override {
    if (started_) co_return false;
    started_ = true;
    status_ = resp.status;
    bytes_ += resp.body.size();
    std::string head = response_head(version_, resp.status, resp.headers, request_id_, keep_alive_,
                                     resp.body.size());
    std::array<net::const_buffer, 2> message{net::buffer(head), net::buffer(resp.body)};
    arm();
    auto [ec, n] = co_await net::async_write(stream_, message, net::as_tuple(net::use_awaitable));
    co_return note(ec);
  }

  net::awaitable<bool> begin(int status, Headers headers) override {
    if (started_) co_return false;
    started_ = true;
    chunked_ = true;
    status_ = status;
    std::string head =
        response_head(version_, status, headers, request_id_, keep_alive_, std::nullopt);
    arm();
    auto [ec, n] =
        co_await net::async_write(stream_, net::buffer(head), net::as_tuple(net::use_awaitable));
    co_return note(ec);
  }

  net::awaitable<bool> write(std::string_view data) override {
    if (!chunked_ || gone_ || data.empty()) co_return !gone_;
    bytes_ += data.size();
    arm();
    auto [ec, n] = co_await net::async_write(
        stream_, bhttp::make_chunk(net::const_buffer(data.data(), data.size())),
        net::as_tuple(net::use_awaitable));
    co_return note(ec);
  }

  net::awaitable<bool> end() override {
    if (!chunked_ || gone_ || ended_) co_return !gone_;
    ended_ = true;
    arm();
    auto [ec, n] = co_await net::async_write(stream_, bhttp::make_chunk_last(),
                                             net::as_tuple(net::use_awaitable));
    co_return note(ec);
  }

  bool started() const override { return started_; }
  bool client_gone() const override { return gone_; }
  bool peer_closed() const override {
    if (gone_) return true;
    // POLLRDHUP: the peer sent FIN (or reset), even with unread bytes queued.
    pollfd p{};
    p.fd = beast::get_lowest_layer(stream_).socket().native_handle();
    p.events = POLLRDHUP;
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
  }
  int status() const override { return status_; }
  size_t bytes_written() const override { return bytes_; }
  net::any_io_executor worker_executor() const override { return workers_; }
  // The connection can carry another request only after a complete answer.
  bool reusable() const { return keep_alive_ && !gone_ && started_ && (!chunked_ || ended_); }

 private:
  // Each write must end within the time-out; between writes (a stream
  // waiting for its upstream) nothing is watched.
  void arm() { dog_.arm(timeout_ms_); }
  bool note(const beast::error_code& ec) {
    dog_.disarm();
    if (ec) gone_ = true;
    return !ec;
  }

  Stream& stream_;
  Watchdog& dog_;
  unsigned version_;
  bool keep_alive_;
  std::string_view request_id_;  // the request's, which outlives its writer
  net::any_io_executor workers_;
  int64_t timeout_ms_;
  bool started_ = false, chunked_ = false, ended_ = false, gone_ = false;
  int status_ = 0;
  size_t bytes_ = 0;
};

// Requests being handled on this network thread (each context is run by
// one thread, and a connection's handlers run on its context).
thread_local int64_t thread_requests = 0;

// Runs one network thread's context. With `spin_ns` > 0 and at most one
// request in hand, the thread keeps polling for that long after its last
// piece of work before it blocks: an answer from an upstream or a client's
// next request on a kept-alive connection usually comes within tens of
// microseconds, and catching it without sleeping saves the thread's wake-up
// and its waker's, which on a virtual machine cost more than the work
// itself. With more requests in hand the next event is near anyway and one
// wake-up serves several, so polling would only take the core from the
// processes producing them.
void run_network_thread(net::io_context& ctx, int64_t spin_ns) {
  if (spin_ns <= 0) {
    ctx.run();
    return;
  }
  int64_t last_work = mono_ns();
  while (!ctx.stopped()) {
    if (ctx.poll() > 0) {
      last_work = mono_ns();
      continue;
    }
    if (ctx.stopped()) return;
    if (thread_requests <= 1 && mono_ns() - last_work < spin_ns) {
      // Polling must not take the core from a process that has work: the
      // upstream or client this thread is waiting for may share it.
      sched_yield();
      continue;
    }
    if (ctx.run_one() > 0) last_work = mono_ns();
  }
}

}  // namespace

struct Server::Impl {
  ServerOptions opts;
  Router router;
  std::shared_ptr<Metrics> metrics;
  // One io_context per network thread, each run by that thread alone: a
  // connection lives on one context from accept to close, so its handlers
  // never contend for a shared queue or hop threads (the multi-threaded
  // shared context spent a fifth of its time switching threads under load).
  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> keep_running;
  size_t next_context = 0;  // touched by the accept loop only
  net::thread_pool workers;
  tcp::acceptor acceptor;
  std::unique_ptr<net::ssl::context> ssl;
  std::vector<std::thread> threads;
  std::atomic<int64_t> connections{0};
  // Shared with the registry, which reads it when /metrics is scraped.
  std::shared_ptr<std::atomic<int64_t>> inflight = std::make_shared<std::atomic<int64_t>>(0);
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable drained;
  std::set<std::shared_ptr<Conn>> conns;
  std::mutex done_mu;
  std::condition_variable done_cv;
  bool done = false;

  Impl(ServerOptions o, Router r, std::shared_ptr<Metrics> m)
      : opts(std::move(o)),
        router(std::move(r)),
        metrics(std::move(m)),
        contexts(make_contexts(opts.io_threads)),
        workers(opts.worker_threads > 0 ? opts.worker_threads
                                        : 2 * std::max(1u, std::thread::hardware_concurrency())),
        acceptor(*contexts.front()) {
    for (auto& c : contexts) keep_running.push_back(net::make_work_guard(*c));
    metrics->describe("hydra_http_requests_total", "counter", "HTTP requests answered");
    metrics->describe("hydra_http_connections", "gauge", "Open HTTP connections");
    metrics->describe("hydra_http_inflight_requests", "gauge", "Requests being handled");
    metrics->gauge_fn("hydra_http_inflight_requests",
                      [n = inflight] { return static_cast<double>(n->load()); });
    metrics->describe("hydra_http_rejected_connections_total", "counter",
                      "Connections refused because of the connection limit");
    metrics->describe_histogram(
        "hydra_http_request_duration_seconds", "Time to answer a request",
        {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  }

  // By default one network thread per core. The process's other busy
  // thread, the metering writer, runs at idle priority and gives way to
  // them. With one thread fewer than the cores, the single network thread of
  // the 2-core benchmark machine was the limit: busy the whole time, it
  // served a median 0.70-0.84 of nginx's requests per second where two
  // served 0.82-0.93 in the same runs (bench/gateway_bench, interleaved).
  static std::vector<std::unique_ptr<net::io_context>> make_contexts(int threads) {
    int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    int n = threads > 0 ? threads : cores;
    std::vector<std::unique_ptr<net::io_context>> out;
    for (int i = 0; i < n; ++i) out.push_back(std::make_unique<net::io_context>(1));
    return out;
  }

  // A route's metric cells, resolved once (see Metrics::counter).
  struct RouteCells {
    Metrics::Counter ok;  // status 200, by far the most common
    Metrics::Histogram duration;
  };
  CellCache<RouteCells> route_cells;  // by "METHOD route"

  const RouteCells& cells_of(const std::string& method, const std::string& route) {
    return route_cells.get(method + ' ' + route, [&] {
      return RouteCells{
          metrics->counter("hydra_http_requests_total",
                           {{"method", method}, {"route", route}, {"status", "200"}}),
          metrics->histogram("hydra_http_request_duration_seconds", {{"route", route}})};
    });
  }

  // The cells of the route a connection's last request took: a keep-alive
  // client usually repeats it, and then counting costs no key, lock or lookup.
  struct CellsMemo {
    const Route* route = nullptr;
    const RouteCells* cells = nullptr;
  };

  const RouteCells& cells_of(CellsMemo& memo, const Route* route, const std::string& method,
                             const std::string& label) {
    if (route == nullptr) return cells_of(method, label);
    if (memo.route != route) {
      memo.cells = &cells_of(method, label);  // the cache's nodes never move
      memo.route = route;
    }
    return *memo.cells;
  }

  void count_request(const RouteCells& cells, const std::string& method, const std::string& route,
                     int status, double seconds) {
    if (status == 200) {
      cells.ok.add();
    } else {
      metrics->counter_add(
          "hydra_http_requests_total",
          {{"method", method}, {"route", route}, {"status", std::to_string(status)}});
    }
    cells.duration.observe(seconds);
  }

  void track(const std::shared_ptr<Conn>& c, bool add) {
    std::lock_guard<std::mutex> lock(mu);
    if (add) {
      conns.insert(c);
    } else {
      conns.erase(c);
    }
    metrics->gauge_set("hydra_http_connections", {}, static_cast<double>(conns.size()));
    drained.notify_all();
  }

  Response builtin(Request& req, bool* handled) {
    *handled = true;
    if (req.method == "GET" && req.path == "/health") {
      return Response::json(200, boost::json::object{{"status", stopping ? "stopping" : "ok"}});
    }
    if (req.method == "GET" && req.path == "/metrics") {
      return Response::text(200, metrics->render(), "text/plain; version=0.0.4; charset=utf-8");
    }
    *handled = false;
    return {};
  }

  // Runs on a worker thread: built-in routes, then the router.
  Response handle(Request& req, std::string* route_label) {
    bool handled = false;
    Response r = builtin(req, &handled);
    if (handled) {
      *route_label = req.path;
      return r;
    }
    return dispatch(router, req, route_label);
  }

  static bhttp::response<bhttp::string_body> to_beast(Response&& r, unsigned version,
                                                      bool keep_alive,
                                                      const std::string& request_id) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
    for (auto& [k, v] : r.headers) res.set(k, v);
    res.set("X-Request-Id", request_id);
    if (res.find(bhttp::field::content_type) == res.end() && !r.body.empty()) {
      res.set(bhttp::field::content_type, "application/json");
    }
    res.body() = std::move(r.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    return res;
  }

  static Response error_response(ErrorCode code, const std::string& msg) {
    return Response::json(error_info(code).http_status, error_body(code, msg));
  }

  void log_access(const Request& req, int status, size_t bytes_out, int64_t start_ns) {
    if (!opts.access_log) return;
    const std::string* ua = req.header("user-agent");
    std::string line =
        "{\"time\":\"" + format_time_ms(now_ms()) +
        "\",\"request_id\":" + json_escape(req.request_id) +
        ",\"remote\":" + json_escape(req.remote_addr) + ",\"method\":" + json_escape(req.method) +
        ",\"path\":" + json_escape(req.path) + ",\"status\":" + std::to_string(status) +
        ",\"bytes_in\":" + std::to_string(req.body.size()) +
        ",\"bytes_out\":" + std::to_string(bytes_out) +
        ",\"duration_ms\":" + std::to_string((mono_ns() - start_ns) / 1000000.0) +
        ",\"user_agent\":" + json_escape(ua ? *ua : "") + "}";
    access_log_write(line);
  }

  // One request and its answer, shared between the io and worker threads.
  struct Exchange {
    Request req;
    Response resp;
    std::string route;
  };

  const Route* find_async(Request& req) const {
    const Route* r = router.match(req);
    return r && r->async_handler ? r : nullptr;
  }

  // Runs an asynchronous handler; a failure before the answer began becomes
  // an error answer, after that it ends the connection.
  template <class Stream>
  net::awaitable<void> run_async(const Route& route, Request& req, StreamWriter<Stream>& writer) {
    std::optional<Response> failure;
    try {
      co_await route.async_handler(req, writer);
    } catch (const ApiError& e) {
      failure = Response::json(e.http_status(), error_body(e.code(), e.what(), e.param()));
    } catch (const std::exception& e) {
      spdlog::error("request {} {} failed: {}", req.request_id, req.path, e.what());
      failure = Response::json(
          500, error_body(ErrorCode::kSystemError, "internal error; request id " + req.request_id));
    }
    if (failure && !writer.started()) {
      co_await writer.send(std::move(*failure));
    } else if (!writer.started()) {
      co_await writer.send(
          Response::json(500, error_body(ErrorCode::kSystemError, "handler gave no answer")));
    } else if (failure) {
      co_await writer.end();
    }
  }

  net::awaitable<void> run_handler(std::shared_ptr<Exchange> ex) {
    ex->resp = handle(ex->req, &ex->route);
    co_return;
  }

  template <class Stream>
  net::awaitable<void> write_error(Stream& stream, ErrorCode code, const std::string& msg) {
    auto res = to_beast(error_response(code, msg), 11, false, new_id());
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
    co_await bhttp::async_write(stream, res, net::as_tuple(net::use_awaitable));
  }

  // Serves requests on one connection until it closes.
  template <class Stream>
  net::awaitable<void> serve(Stream& stream, std::shared_ptr<Conn> conn, std::string remote) {
    beast::flat_buffer buffer;
    auto& lowest = beast::get_lowest_layer(stream);
    // Time-outs come from the watchdog, not from Beast's per-operation
    // timers (see watchdog.h): expiry closes the socket, failing the I/O.
    lowest.expires_never();
    Watchdog dog(co_await net::this_coro::executor, [&lowest] {
      beast::error_code ignored;
      lowest.socket().close(ignored);
    });
    CellsMemo memo;
    // The clock is read once when a request starts and once when it ends;
    // the watchdog is armed from those readings.
    int64_t last_answered = mono_ns();
    for (;;) {
      conn->idle = true;
      if (stopping) co_return;
      if (buffer.size() == 0) {
        // Waiting for the first byte of the next request is "idle".
        dog.arm(opts.idle_timeout_ms, last_answered);
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(8192),
                                                       net::as_tuple(net::use_awaitable));
        if (ec) co_return;
        buffer.commit(n);
      }
      conn->idle = false;
      int64_t start = mono_ns();
      RequestHead head;
      std::string body;
      dog.arm(opts.read_timeout_ms, start);
      ReadOutcome read = co_await read_request(stream, buffer, head, body);
      dog.disarm();
      if (read.kind != ReadOutcome::kRequest) {
        co_await reject(stream, read);
        co_return;
      }
      ++*inflight;
      ++thread_requests;
      bool keep_alive = head.keep_alive && !stopping;
      unsigned version = head.version;
      Request req = request_from_head(std::move(head), std::move(body), remote);
      const Route* async_route = find_async(req);
      int status = 0;
      size_t bytes_out = 0;
      bool write_failed = false;
      std::string worker_route;  // the label a worker-pool handler reported
      if (async_route) {
        StreamWriter<Stream> writer(stream, dog, version, keep_alive, req.request_id,
                                    workers.get_executor(), opts.read_timeout_ms);
        co_await run_async(*async_route, req, writer);
        status = writer.status();
        bytes_out = writer.bytes_written();
        keep_alive = writer.reusable() && !stopping;
      } else {
        // Shared with the worker pool, where the handler runs; the coroutine
        // resumes here after. (Kept as two statements: GCC 12 mishandles
        // lambda temporaries that live across a co_await.)
        auto ex = std::make_shared<Exchange>();
        ex->req = std::move(req);
        auto on_worker = net::co_spawn(workers, run_handler(ex), net::use_awaitable);
        co_await std::move(on_worker);
        req = std::move(ex->req);
        worker_route = std::move(ex->route);
        status = ex->resp.status;
        keep_alive = keep_alive && !stopping;
        auto res = to_beast(std::move(ex->resp), version, keep_alive, req.request_id);
        bytes_out = res.body().size();
        dog.arm(opts.read_timeout_ms);
        auto [wec, wn] =
            co_await bhttp::async_write(stream, res, net::as_tuple(net::use_awaitable));
        dog.disarm();
        write_failed = static_cast<bool>(wec);
      }
      const std::string& route = async_route ? async_route->pattern : worker_route;
      last_answered = mono_ns();
      count_request(cells_of(memo, async_route, req.method, route), req.method, route, status,
                    (last_answered - start) / 1e9);
      log_access(req, status, bytes_out, start);
      --thread_requests;
      if (--*inflight == 0) drained.notify_all();
      if (write_failed || !keep_alive) co_return;
    }
  }

  // How reading a request ended.
  struct ReadOutcome {
    enum Kind { kRequest, kClosed, kMalformed, kHeaderTooLarge, kBodyTooLarge };
    Kind kind = kRequest;
    std::string why;
  };

  // Reads one request from `buffer` and, as needed, the stream: the head
  // (within the header limit), then the body its framing gives (within the
  // body limit). Bytes after the request stay in `buffer`. A stream that
  // fails or ends mid-request is kClosed: there is nobody to answer.
  template <class Stream>
  net::awaitable<ReadOutcome> read_request(Stream& stream, beast::flat_buffer& buffer,
                                           RequestHead& head, std::string& body) {
    auto have = [&buffer] {
      return std::string_view(static_cast<const char*>(buffer.data().data()), buffer.size());
    };
    const auto max_header = static_cast<size_t>(opts.max_header_bytes);
    size_t head_bytes = 0;
    for (size_t scanned = 0; (head_bytes = head_size(have(), scanned)) == 0;) {
      scanned = buffer.size();
      if (scanned > max_header) co_return ReadOutcome{ReadOutcome::kHeaderTooLarge, {}};
      auto [ec, n] =
          co_await stream.async_read_some(buffer.prepare(8192), net::as_tuple(net::use_awaitable));
      if (ec) co_return ReadOutcome{ReadOutcome::kClosed, {}};
      buffer.commit(n);
    }
    if (head_bytes > max_header) co_return ReadOutcome{ReadOutcome::kHeaderTooLarge, {}};
    std::string why;
    if (!parse_request_head(have().substr(0, head_bytes), head, why)) {
      co_return ReadOutcome{ReadOutcome::kMalformed, why};
    }
    buffer.consume(head_bytes);
    if (head.body.kind == BodyFraming::Kind::kLength &&
        head.body.length > static_cast<uint64_t>(opts.max_body_bytes)) {
      co_return ReadOutcome{ReadOutcome::kBodyTooLarge, {}};
    }
    if (head.expect_continue && head.body.kind != BodyFraming::Kind::kNone && buffer.size() == 0) {
      // The client waits for this before it sends the body (curl does for large ones).
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      auto [ec, n] = co_await net::async_write(stream, net::buffer(kContinue),
                                               net::as_tuple(net::use_awaitable));
      if (ec) co_return ReadOutcome{ReadOutcome::kClosed, {}};
    }
    if (head.body.kind == BodyFraming::Kind::kLength) {
      // The buffered part is copied, the rest read straight into the body,
      // which grows by doubling as bytes arrive: a client that announces a
      // large body and sends little holds little memory.
      auto length = static_cast<size_t>(head.body.length);
      size_t buffered = std::min(buffer.size(), length);
      body.assign(have().substr(0, buffered));
      buffer.consume(buffered);
      while (body.size() < length) {
        size_t from = body.size();
        body.resize(from + std::min(length - from, std::max<size_t>(from, 64 << 10)));
        auto [ec, n] =
            co_await net::async_read(stream, net::buffer(body.data() + from, body.size() - from),
                                     net::as_tuple(net::use_awaitable));
        if (ec) co_return ReadOutcome{ReadOutcome::kClosed, {}};
      }
    } else if (head.body.kind == BodyFraming::Kind::kChunked) {
      ChunkedDecoder decoder;
      for (;;) {
        buffer.consume(decoder.feed(have(), body));
        if (body.size() > static_cast<size_t>(opts.max_body_bytes)) {
          co_return ReadOutcome{ReadOutcome::kBodyTooLarge, {}};
        }
        if (decoder.failed()) co_return ReadOutcome{ReadOutcome::kMalformed, "bad chunked body"};
        if (decoder.done()) break;
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(8192),
                                                       net::as_tuple(net::use_awaitable));
        if (ec) co_return ReadOutcome{ReadOutcome::kClosed, {}};
        buffer.commit(n);
      }
    }
    co_return ReadOutcome{};
  }

  // Answers a request that could not be read, where an answer makes sense.
  // One that timed out or was cut off gets none: the watchdog or the client
  // has closed the socket, which is what frees the connection.
  template <class Stream>
  net::awaitable<void> reject(Stream& stream, const ReadOutcome& read) {
    if (read.kind == ReadOutcome::kHeaderTooLarge) {
      co_await write_error(stream, ErrorCode::kHeaderTooLarge, "request header block is too large");
    } else if (read.kind == ReadOutcome::kBodyTooLarge) {
      co_await write_error(
          stream, ErrorCode::kPayloadTooLarge,
          "request body is larger than " + std::to_string(opts.max_body_bytes) + " bytes");
    } else if (read.kind == ReadOutcome::kMalformed) {
      co_await write_error(stream, ErrorCode::kParamError, "malformed HTTP request: " + read.why);
    } else {
      co_return;
    }
    co_await linger(stream);
  }

  // After an early error answer the client may still be sending its request.
  // Closing with unread input would reset the connection and destroy the
  // answer before the client reads it, so half-close and discard the rest
  // first, within limits.
  template <class Stream>
  static net::awaitable<void> linger(Stream& stream) {
    beast::error_code ec;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ec);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    std::vector<char> scratch(16 * 1024);
    for (size_t discarded = 0; discarded < (1u << 20);) {
      auto [rec, n] =
          co_await stream.async_read_some(net::buffer(scratch), net::as_tuple(net::use_awaitable));
      if (rec) break;
      discarded += n;
    }
  }

  template <class Stream>
  static void close_stream(Stream& stream) {
    beast::error_code ec;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(stream).close();
  }

  net::awaitable<void> session(tcp::socket socket) {
    std::string remote;
    boost::system::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    if (!ec) remote = ep.address().to_string();
    if (connections >= opts.max_connections) {
      metrics->counter_add("hydra_http_rejected_connections_total", {});
      beast::tcp_stream stream(std::move(socket));
      co_await write_error(stream, ErrorCode::kServerBusy, "too many connections");
      close_stream(stream);
      co_return;
    }
    connections++;
    auto conn = std::make_shared<Conn>();
    conn->exec = co_await net::this_coro::executor;
    if (ssl) {
      beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *ssl);
      conn->close = [&stream] { beast::get_lowest_layer(stream).cancel(); };
      track(conn, true);
      beast::get_lowest_layer(stream).expires_after(
          std::chrono::milliseconds(opts.read_timeout_ms));
      auto [hec] = co_await stream.async_handshake(net::ssl::stream_base::server,
                                                   net::as_tuple(net::use_awaitable));
      if (!hec) co_await serve(stream, conn, remote);
      close_stream(stream);
      conn->alive = false;
    } else {
      beast::tcp_stream stream(std::move(socket));
      conn->close = [&stream] { stream.cancel(); };
      track(conn, true);
      co_await serve(stream, conn, remote);
      close_stream(stream);
      conn->alive = false;
    }
    track(conn, false);
    connections--;
  }

  net::awaitable<void> accept_loop() {
    for (;;) {
      // Connections are dealt to the network threads in turn.
      net::io_context& home = *contexts[next_context++ % contexts.size()];
      auto [ec, socket] = co_await acceptor.async_accept(home, net::as_tuple(net::use_awaitable));
      if (ec) {
        if (stopping || ec == net::error::operation_aborted) co_return;
        spdlog::warn("accept failed: {}", ec.message());
        continue;
      }
      auto exec = socket.get_executor();
      net::co_spawn(exec, session(std::move(socket)), net::detached);
    }
  }
};

Server::Server(ServerOptions opts, Router router, std::shared_ptr<Metrics> metrics)
    : impl_(std::make_unique<Impl>(std::move(opts), std::move(router), std::move(metrics))) {}

Server::~Server() {
  if (!impl_->threads.empty()) {
    shutdown(0);
    wait();
  }
}

void Server::start() {
  auto& o = impl_->opts;
  if (!o.tls_cert.empty() && !o.tls_key.empty()) {
    impl_->ssl = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
    impl_->ssl->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                            net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                            net::ssl::context::no_tlsv1_1);
    impl_->ssl->use_certificate_chain_file(o.tls_cert);
    impl_->ssl->use_private_key_file(o.tls_key, net::ssl::context::pem);
  }
  tcp::endpoint ep(net::ip::make_address(o.host), o.port);
  auto& acc = impl_->acceptor;
  acc.open(ep.protocol());
  acc.set_option(net::socket_base::reuse_address(true));
  acc.bind(ep);
  acc.listen(net::socket_base::max_listen_connections);
  net::co_spawn(*impl_->contexts.front(), impl_->accept_loop(), net::detached);
  for (auto& c : impl_->contexts) {
    net::io_context* ctx = c.get();
    int64_t spin_ns = o.io_spin_us * 1000;
    impl_->threads.emplace_back([ctx, spin_ns] { run_network_thread(*ctx, spin_ns); });
  }
}

uint16_t Server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

Metrics& Server::metrics() {
  return *impl_->metrics;
}

void Server::shutdown(int64_t grace_ms) {
  auto* im = impl_.get();
  if (im->stopping.exchange(true)) return;
  net::post(*im->contexts.front(), [im] {
    boost::system::error_code ec;
    im->acceptor.close(ec);
  });
  auto close_where = [im](bool only_idle) {
    std::lock_guard<std::mutex> lock(im->mu);
    for (const auto& c : im->conns) {
      if (!only_idle || c->idle) {
        auto conn = c;
        net::post(conn->exec, [conn] {
          if (conn->alive) conn->close();
        });
      }
    }
  };
  close_where(true);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  {
    std::unique_lock<std::mutex> lock(im->mu);
    while (!im->conns.empty() && std::chrono::steady_clock::now() < deadline) {
      lock.unlock();
      close_where(true);  // connections that went idle after their last answer
      lock.lock();
      im->drained.wait_for(lock, std::chrono::milliseconds(20));
    }
  }
  close_where(false);
  {
    std::unique_lock<std::mutex> lock(im->mu);
    im->drained.wait_for(lock, std::chrono::milliseconds(500), [im] { return im->conns.empty(); });
  }
  for (auto& c : im->contexts) c->stop();
  for (auto& t : im->threads) t.join();
  im->threads.clear();
  im->workers.join();
  std::lock_guard<std::mutex> lock(im->done_mu);
  im->done = true;
  im->done_cv.notify_all();
}

void Server::wait() {
  std::unique_lock<std::mutex> lock(impl_->done_mu);
  impl_->done_cv.wait(lock, [this] { return impl_->done; });
}

}  // namespace hydra::http
