#include "server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include "answers.h"
#include "ledger.h"

namespace fake {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

namespace {

struct App {
  Options opts;
  Ledger ledger;
  std::atomic<uint64_t> next_id{0};
  explicit App(Options o) : opts(std::move(o)), ledger(opts.ledger_max) {}
};

// One client connection. Its reader and (while an answer streams) its
// streamer run on the same strand, so the flags need no locks.
struct Conn {
  explicit Conn(tcp::socket s) : sock(std::move(s)), stream_done(sock.get_executor()) {}
  tcp::socket sock;
  beast::flat_buffer buf;
  bool peer_closed = false;  // the reader saw EOF or an error
  bool streaming = false;
  asio::steady_timer stream_done;  // cancelled when a stream ends

  void close() {
    boost::system::error_code ec;
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
  }
};

enum class Next { kKeep, kClose, kHang };

using Request = bhttp::request<bhttp::string_body>;

asio::awaitable<bool> write_whole(std::shared_ptr<Conn> c, int status, std::string body,
                                  bool keep_alive) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, "application/json");
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  auto [ec, n] = co_await bhttp::async_write(c->sock, res, asio::as_tuple(use_awaitable));
  co_return !ec;
}

asio::awaitable<bool> write_chunk(std::shared_ptr<Conn> c, std::string data) {
  auto [ec, n] = co_await asio::async_write(
      c->sock, bhttp::make_chunk(asio::const_buffer(data.data(), data.size())),
      asio::as_tuple(use_awaitable));
  co_return !ec;
}

asio::awaitable<void> pause_ms(std::shared_ptr<Conn> c, int64_t ms) {
  if (ms <= 0) co_return;
  asio::steady_timer t(c->sock.get_executor());
  t.expires_after(std::chrono::milliseconds(ms));
  co_await t.async_wait(asio::as_tuple(use_awaitable));
}

// Writes the events of one streamed answer, counting each token once its
// event was written, and stopping as soon as the client is seen gone.
asio::awaitable<void> stream_answer(std::shared_ptr<Conn> c, App* app, Ask a, LedgerEntry e,
                                    std::string id) {
  const Options& o = app->opts;
  bool with_usage = o.usage && a.continuous;
  bool cut = o.fail == FailMode::kCut;
  int64_t events = 0;
  bool ok = false;
  if (!c->peer_closed) ok = co_await write_chunk(c, role_event(a, id, with_usage));
  if (ok) {
    e.prompt_tokens = a.prompt_tokens;
    ++events;
  }
  bool cut_now = false;
  for (int64_t i = 0; ok && i < a.completion_tokens; ++i) {
    if (cut && events >= o.cut_after) {
      cut_now = true;
      break;
    }
    co_await pause_ms(c, o.interval_ms);
    if (c->peer_closed) {
      ok = false;
      break;
    }
    ok = co_await write_chunk(c, token_event(a, id, i, with_usage));
    if (ok) {
      e.completion_tokens = i + 1;
      ++events;
    }
  }
  if (ok && cut && !cut_now && events >= o.cut_after) cut_now = true;
  if (ok && !cut_now) {
    std::string tail = finish_event(a, id, with_usage);
    if (o.usage && a.include_usage) tail += usage_event(a, id);
    tail += done_event();
    ok = false;
    if (!c->peer_closed) ok = co_await write_chunk(c, std::move(tail));
    if (ok) {
      auto [ec, n] = co_await asio::async_write(c->sock, bhttp::make_chunk_last(),
                                                asio::as_tuple(use_awaitable));
      ok = !ec;
    }
  }
  e.aborted = !ok;
  e.finished = true;
  app->ledger.put(e);
  if (!ok || cut_now) c->close();
  c->streaming = false;
  c->stream_done.cancel();
}

asio::awaitable<Next> inference(std::shared_ptr<Conn> c, App* app, Kind kind, Request req) {
  const Options& o = app->opts;
  std::string rid(req["x-request-id"]);
  if (rid.empty()) rid = "fake-" + std::to_string(++app->next_id);
  bool keep = req.keep_alive();
  Ask a;
  std::string bad;
  try {
    a = read_ask(kind, req.body(), o);
  } catch (const BadRequest& err) {
    bad = err.what();
  }
  if (!bad.empty()) {
    bool sent = co_await write_whole(c, 400, error_json(bad, "invalid_request_error", 400), keep);
    co_return sent&& keep ? Next::kKeep : Next::kClose;
  }
  if (o.fail == FailMode::kHang) co_return Next::kHang;
  co_await pause_ms(c, o.latency_ms);
  LedgerEntry e;
  e.request_id = rid;
  e.path = std::string(req.target());
  e.model = a.model;
  e.stream = a.stream;
  if (o.fail == FailMode::kStatus) {
    e.status = o.fail_status;
    e.finished = true;
    app->ledger.put(e);
    bool sent = co_await write_whole(
        c, o.fail_status, error_json("fake upstream failure", "server_error", o.fail_status), keep);
    co_return sent&& keep ? Next::kKeep : Next::kClose;
  }
  e.status = 200;
  std::string id = "fake-" + rid;
  if (!a.stream) {
    std::string body = whole_answer(a, id, o);
    if (o.fail == FailMode::kCut) {
      // A Content-Length promising more than arrives, then the close.
      std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, body.size() / 2);
      co_await asio::async_write(c->sock, asio::buffer(head), asio::as_tuple(use_awaitable));
      e.finished = true;
      app->ledger.put(e);
      co_return Next::kClose;
    }
    bool sent = co_await write_whole(c, 200, std::move(body), keep);
    if (sent) {
      e.prompt_tokens = a.prompt_tokens;
      e.completion_tokens = a.completion_tokens;
    }
    e.aborted = !sent;
    e.finished = true;
    app->ledger.put(e);
    co_return sent&& keep ? Next::kKeep : Next::kClose;
  }
  app->ledger.put(e);
  bhttp::response<bhttp::empty_body> res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "text/event-stream");
  res.set(bhttp::field::cache_control, "no-cache");
  res.keep_alive(keep);
  res.chunked(true);
  bhttp::response_serializer<bhttp::empty_body> sr{res};
  auto [ec, n] = co_await bhttp::async_write_header(c->sock, sr, asio::as_tuple(use_awaitable));
  if (ec) {
    e.aborted = true;
    e.finished = true;
    app->ledger.put(e);
    co_return Next::kClose;
  }
  c->streaming = true;
  asio::co_spawn(c->sock.get_executor(), stream_answer(c, app, std::move(a), std::move(e), id),
                 asio::detached);
  co_return keep ? Next::kKeep : Next::kHang;
}

std::string query_value(std::string_view target, std::string_view name) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name && eq != std::string_view::npos) {
      return std::string(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return {};
}

asio::awaitable<Next> handle(std::shared_ptr<Conn> c, App* app, Request req) {
  std::string_view target = req.target();
  std::string_view path = target.substr(0, target.find('?'));
  bool get = req.method() == bhttp::verb::get;
  bool keep = req.keep_alive();
  std::string body;
  int status = 200;
  if (req.method() == bhttp::verb::post) {
    static const std::pair<std::string_view, Kind> kPaths[] = {
        {"/v1/chat/completions", Kind::kChat}, {"/v1/completions", Kind::kCompletion},
        {"/v1/embeddings", Kind::kEmbedding},  {"/v1/images/generations", Kind::kImage},
        {"/v1/rerank", Kind::kRerank},
    };
    for (const auto& [p, kind] : kPaths) {
      if (p == path) co_return co_await inference(c, app, kind, std::move(req));
    }
    status = 404;
  } else if (get && path == "/health") {
    body = "{\"status\":\"ok\"}";
  } else if (get && path == "/v1/models") {
    body =
        "{\"object\":\"list\",\"data\":[{\"id\":\"fake-model\",\"object\":\"model\","
        "\"created\":0,\"owned_by\":\"fake\"}]}";
  } else if (get && path == "/ledger") {
    body = app->ledger.to_json(query_value(target, "id"));
  } else if (req.method() == bhttp::verb::delete_ && path == "/ledger") {
    app->ledger.clear();
    body = "{}";
  } else {
    status = 404;
  }
  if (status == 404) body = error_json("no such route", "invalid_request_error", 404);
  bool sent = co_await write_whole(c, status, std::move(body), keep);
  co_return sent&& keep ? Next::kKeep : Next::kClose;
}

asio::awaitable<void> wait_stream(std::shared_ptr<Conn> c) {
  while (c->streaming) {
    c->stream_done.expires_at(asio::steady_timer::time_point::max());
    co_await c->stream_done.async_wait(asio::as_tuple(use_awaitable));
  }
}

// Reads requests one after another. While an answer streams, the next read
// is already pending: that is how a disconnect is seen between events.
asio::awaitable<void> session(std::shared_ptr<Conn> c, App* app) {
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(64 << 20);
    auto [ec, n] =
        co_await bhttp::async_read(c->sock, c->buf, parser, asio::as_tuple(use_awaitable));
    if (ec) c->peer_closed = true;
    co_await wait_stream(c);
    if (ec || !c->sock.is_open()) break;
    Next next = co_await handle(c, app, parser.release());
    if (next == Next::kClose) break;
    if (next == Next::kHang) {
      // Never answer; just wait for the client to give up.
      c->buf.consume(c->buf.size());
      for (;;) {
        auto [rec, rn] =
            co_await c->sock.async_read_some(c->buf.prepare(4096), asio::as_tuple(use_awaitable));
        if (rec) break;
        c->buf.consume(rn);
      }
      c->peer_closed = true;
      co_await wait_stream(c);
      break;
    }
  }
  c->close();
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, App* app) {
  auto& ioc = static_cast<asio::io_context&>(acceptor.get_executor().context());
  for (;;) {
    auto [ec, sock] =
        co_await acceptor.async_accept(asio::make_strand(ioc), asio::as_tuple(use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      continue;
    }
    if (app->opts.fail == FailMode::kRefuse) {
      boost::system::error_code ignored;
      sock.close(ignored);
      continue;
    }
    boost::system::error_code ignored;
    sock.set_option(tcp::no_delay(true), ignored);
    auto c = std::make_shared<Conn>(std::move(sock));
    asio::co_spawn(c->sock.get_executor(), session(c, app), asio::detached);
  }
}

}  // namespace

int serve(const Options& opts) {
  App app(opts);
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc);
  tcp::endpoint ep(asio::ip::make_address(opts.host), opts.port);
  acceptor.open(ep.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(ep);
  acceptor.listen(asio::socket_base::max_listen_connections);
  uint16_t port = acceptor.local_endpoint().port();
  if (!opts.port_file.empty()) {
    std::string tmp = opts.port_file + ".tmp";
    std::ofstream(tmp) << port << "\n";
    std::rename(tmp.c_str(), opts.port_file.c_str());  // readers never see half a number
  }
  std::cout << "fake_upstream listening on " << opts.host << ":" << port << std::endl;
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) { ioc.stop(); });
  asio::co_spawn(ioc, accept_loop(acceptor, &app), asio::detached);
  std::vector<std::thread> threads;
  for (int i = 1; i < opts.threads; ++i) threads.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  return 0;
}

}  // namespace fake
