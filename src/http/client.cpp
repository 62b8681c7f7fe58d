#include "http/client.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "common/strings.h"
#include "http/url.h"

namespace hydra::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

const std::string* ClientResponse::header(std::string_view name) const {
  std::string lower = to_lower(name);
  for (const auto& [k, v] : headers) {
    if (k == lower) return &v;
  }
  return nullptr;
}

namespace {

// A kept-alive connection: plain TCP or TLS over TCP.
struct PooledConn {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

}  // namespace

struct Client::Impl {
  ClientOptions opts;
  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  net::ssl::context ssl{net::ssl::context::tls_client};
  std::thread thread;
  mutable std::mutex mu;
  std::map<std::string, std::deque<std::unique_ptr<PooledConn>>> idle;

  explicit Impl(ClientOptions o) : opts(std::move(o)) {
    ssl.set_default_verify_paths();
    if (!opts.ca_file.empty()) ssl.load_verify_file(opts.ca_file);
    ssl.set_verify_mode(opts.verify_tls ? net::ssl::verify_peer : net::ssl::verify_none);
    thread = std::thread([this] { ioc.run(); });
  }
  ~Impl() {
    work.reset();
    ioc.stop();
    thread.join();
  }

  std::unique_ptr<PooledConn> take(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = idle.find(key);
    if (it == idle.end() || it->second.empty()) return nullptr;
    auto c = std::move(it->second.back());
    it->second.pop_back();
    return c;
  }

  void give_back(const std::string& key, std::unique_ptr<PooledConn> c) {
    std::lock_guard<std::mutex> lock(mu);
    auto& q = idle[key];
    if (q.size() < opts.max_idle_per_host) q.push_back(std::move(c));
  }

  net::awaitable<std::unique_ptr<PooledConn>> connect(const Url& url) {
    auto conn = std::make_unique<PooledConn>();
    tcp::resolver resolver(ioc);
    auto results =
        co_await resolver.async_resolve(url.host, std::to_string(url.port), net::use_awaitable);
    conn->plain = std::make_unique<beast::tcp_stream>(ioc);
    conn->plain->expires_after(std::chrono::milliseconds(opts.connect_timeout_ms));
    co_await conn->plain->async_connect(results, net::use_awaitable);
    if (url.scheme == "https") {
      conn->tls =
          std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*conn->plain), ssl);
      conn->plain.reset();
      if (!SSL_set_tlsext_host_name(conn->tls->native_handle(), url.host.c_str())) {
        throw std::runtime_error("TLS: cannot set server name " + url.host);
      }
      if (opts.verify_tls)
        conn->tls->set_verify_callback(net::ssl::host_name_verification(url.host));
      co_await conn->tls->async_handshake(net::ssl::stream_base::client, net::use_awaitable);
    }
    co_return conn;
  }

  template <class Stream>
  net::awaitable<ClientResponse> exchange(Stream& stream, PooledConn& conn,
                                          bhttp::request<bhttp::string_body>& req, bool* keep) {
    conn.lowest().expires_after(std::chrono::milliseconds(opts.request_timeout_ms));
    auto [wec, wn] = co_await bhttp::async_write(stream, req, net::as_tuple(net::use_awaitable));
    if (wec) throw boost::system::system_error(wec, "write");
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(static_cast<uint64_t>(opts.max_response_bytes));
    parser.header_limit(64 << 10);
    auto [rec, rn] =
        co_await bhttp::async_read(stream, conn.buffer, parser, net::as_tuple(net::use_awaitable));
    if (rec) throw boost::system::system_error(rec, "read");
    auto& msg = parser.get();
    ClientResponse out;
    out.status = static_cast<int>(msg.result_int());
    for (const auto& f : msg)
      out.headers.emplace_back(to_lower(f.name_string()), std::string(f.value()));
    out.body = std::move(msg.body());
    *keep = msg.keep_alive();
    co_return out;
  }

  net::awaitable<ClientResponse> run(ClientRequest r) {
    Url url = parse_url(r.url);
    std::string key = url.scheme + "://" + url.host + ":" + std::to_string(url.port);
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(r.method), url.target, 11};
    if (req.method() == bhttp::verb::unknown)
      throw std::invalid_argument("unknown HTTP method " + r.method);
    bool default_port = url.port == (url.scheme == "https" ? 443 : 80);
    req.set(bhttp::field::host,
            default_port ? url.host : url.host + ":" + std::to_string(url.port));
    req.set(bhttp::field::user_agent, "hydra");
    for (const auto& [k, v] : r.headers) req.set(k, v);
    req.body() = r.body;
    if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH")
      req.prepare_payload();
    req.keep_alive(true);

    // A pooled connection may have been closed by the server while idle; such
    // a failure before any answer is retried once on a fresh connection.
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto conn = attempt == 0 ? take(key) : nullptr;
      bool reused = conn != nullptr;
      if (!conn) conn = co_await connect(url);
      bool keep = false;
      try {
        // Two statements: GCC 12 miscompiles co_await inside a conditional expression.
        ClientResponse resp;
        if (conn->tls) {
          resp = co_await exchange(*conn->tls, *conn, req, &keep);
        } else {
          resp = co_await exchange(*conn->plain, *conn, req, &keep);
        }
        if (keep) give_back(key, std::move(conn));
        co_return resp;
      } catch (const boost::system::system_error& e) {
        if (!reused) throw;
      }
    }
    throw std::runtime_error("unreachable");
  }
};

Client::Client(ClientOptions opts) : impl_(std::make_unique<Impl>(std::move(opts))) {}
Client::~Client() = default;

ClientResponse Client::send(const ClientRequest& req) {
  auto fut = net::co_spawn(impl_->ioc, impl_->run(req), net::use_future);
  try {
    return fut.get();
  } catch (const boost::system::system_error& e) {
    if (e.code() == beast::error::timeout) throw std::runtime_error(req.url + ": timed out");
    throw std::runtime_error(req.url + ": " + e.what());
  }
}

ClientResponse Client::get(const std::string& url, Headers headers) {
  return send({"GET", url, std::move(headers), {}});
}

ClientResponse Client::post_json(const std::string& url, const std::string& body, Headers headers) {
  headers.emplace_back("Content-Type", "application/json");
  return send({"POST", url, std::move(headers), body});
}

size_t Client::idle_connections() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  size_t n = 0;
  for (const auto& [k, q] : impl_->idle) n += q.size();
  return n;
}

}  // namespace hydra::http
