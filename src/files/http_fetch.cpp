#include "files/http_fetch.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <optional>

#include "common/strings.h"
#include "http/url.h"

namespace hydra::files {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

constexpr size_t kChunk = 256 << 10;

bool retryable_status(int status) {
  return status == 408 || status == 429 || status >= 500;
}

std::string status_text(int status) {
  switch (status) {
    case 401:
      return "401 Unauthorized (a token is needed, or the token is wrong)";
    case 403:
      return "403 Forbidden (the token may not read this repository, or it is gated)";
    case 404:
      return "404 Not Found";
    case 416:
      return "416 Range Not Satisfiable";
    default:
      return std::to_string(status);
  }
}

int64_t to_int(std::string_view s) {
  int64_t n = -1;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p != s.data() + s.size() || n < 0) return -1;
  return n;
}

// "bytes START-END/TOTAL" -> START and TOTAL ("*" total -> -1).
void parse_content_range(std::string_view v, int64_t* start, int64_t* total) {
  if (v.substr(0, 6) != "bytes ") return;
  v.remove_prefix(6);
  size_t dash = v.find('-'), slash = v.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || dash > slash) return;
  *start = to_int(v.substr(0, dash));
  *total = to_int(v.substr(slash + 1));
}

std::string resolve_location(const http::Url& base, const std::string& location) {
  if (starts_with(location, "http://") || starts_with(location, "https://")) return location;
  std::string origin = base.scheme + "://" + base.host + ":" + std::to_string(base.port);
  if (starts_with(location, "/")) return origin + location;
  std::string dir = base.target.substr(0, base.target.find('?'));
  dir = dir.substr(0, dir.rfind('/') + 1);
  return origin + dir + location;
}

// One connection, driven synchronously: each step starts an asynchronous
// operation with a deadline and runs the private io_context until it ends.
class Connection {
 public:
  Connection(const http::Url& url, const FetchOptions& opts) : url_(url), opts_(opts) {
    ssl_.set_default_verify_paths();
    if (!opts.ca_file.empty()) ssl_.load_verify_file(opts.ca_file);
    ssl_.set_verify_mode(opts.verify_tls ? net::ssl::verify_peer : net::ssl::verify_none);
    connect();
  }

  template <class Fn>
  void run(Fn&& fn) {
    if (tls_) {
      fn(*tls_);
    } else {
      fn(*plain_);
    }
  }

  beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

  // Sets the deadline of the next operation (before it starts: Beast arms
  // its timer when an operation begins).
  void arm(int64_t timeout_ms) { lowest().expires_after(std::chrono::milliseconds(timeout_ms)); }
  // Runs the started operation to its end or its deadline.
  void wait(boost::system::error_code& ec, const char* what) {
    ioc_.restart();
    ioc_.run();
    if (ec == beast::error::timeout) {
      throw FetchError(url_.host + ": " + what + " timed out", true);
    }
  }

  net::io_context& ioc() { return ioc_; }

 private:
  void connect() {
    tcp::resolver resolver(ioc_);
    boost::system::error_code ec;
    tcp::resolver::results_type results;
    resolver.async_resolve(url_.host, std::to_string(url_.port),
                           [&](boost::system::error_code e, tcp::resolver::results_type r) {
                             ec = e;
                             results = std::move(r);
                           });
    ioc_.run();
    if (ec) throw FetchError("cannot resolve " + url_.host + ": " + ec.message(), true);
    plain_.emplace(ioc_);
    plain_->expires_after(std::chrono::milliseconds(opts_.connect_timeout_ms));
    plain_->async_connect(results,
                          [&](boost::system::error_code e, const tcp::endpoint&) { ec = e; });
    ioc_.restart();
    ioc_.run();
    if (ec) {
      throw FetchError(
          "cannot connect to " + url_.host + ":" + std::to_string(url_.port) + ": " + ec.message(),
          true);
    }
    if (url_.scheme != "https") return;
    tls_.emplace(std::move(*plain_), ssl_);
    plain_.reset();
    if (!SSL_set_tlsext_host_name(tls_->native_handle(), url_.host.c_str())) {
      throw FetchError("TLS: cannot set server name " + url_.host, false);
    }
    if (opts_.verify_tls) tls_->set_verify_callback(net::ssl::host_name_verification(url_.host));
    arm(opts_.connect_timeout_ms);
    tls_->async_handshake(net::ssl::stream_base::client,
                          [&](boost::system::error_code e) { ec = e; });
    wait(ec, "TLS handshake");
    if (ec) throw FetchError("TLS handshake with " + url_.host + " failed: " + ec.message(), false);
  }

  http::Url url_;
  FetchOptions opts_;
  net::io_context ioc_;
  net::ssl::context ssl_{net::ssl::context::tls_client};
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
};

struct Hop {
  FetchHead head;
  std::string location;  // set for a redirect
};

template <class Stream>
Hop exchange(Connection& conn, Stream& stream, const http::Url& url, const http::Headers& headers,
             int64_t offset, const FetchOptions& opts,
             const std::function<bool(const FetchHead&)>& on_head,
             const std::function<void(const char*, size_t)>& on_data) {
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, url.target, 11};
  bool default_port = url.port == (url.scheme == "https" ? 443 : 80);
  req.set(bhttp::field::host, default_port ? url.host : url.host + ":" + std::to_string(url.port));
  req.set(bhttp::field::user_agent, "hydra");
  req.set(bhttp::field::accept_encoding, "identity");  // checksums are over the stored bytes
  for (const auto& [k, v] : headers) req.set(k, v);
  if (offset > 0) req.set(bhttp::field::range, "bytes=" + std::to_string(offset) + "-");
  req.keep_alive(false);
  boost::system::error_code ec;
  conn.arm(opts.read_timeout_ms);
  bhttp::async_write(stream, req, [&](boost::system::error_code e, size_t) { ec = e; });
  conn.wait(ec, "sending the request");
  if (ec) throw FetchError(url.host + ": cannot send the request: " + ec.message(), true);

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.body_limit(boost::none);
  parser.header_limit(64 << 10);
  conn.arm(opts.read_timeout_ms);
  bhttp::async_read_header(stream, buffer, parser,
                           [&](boost::system::error_code e, size_t) { ec = e; });
  conn.wait(ec, "waiting for the answer");
  if (ec) throw FetchError(url.host + ": no valid answer: " + ec.message(), true);

  auto& msg = parser.get();
  Hop hop;
  hop.head.status = static_cast<int>(msg.result_int());
  if (auto it = msg.find(bhttp::field::content_length); it != msg.end()) {
    hop.head.content_length = to_int(it->value());
  }
  if (auto it = msg.find(bhttp::field::content_range); it != msg.end()) {
    parse_content_range(it->value(), &hop.head.range_start, &hop.head.total_size);
  }
  if (auto it = msg.find("x-linked-size"); it != msg.end() && hop.head.total_size < 0) {
    hop.head.total_size = to_int(it->value());
  }
  if (auto it = msg.find("x-linked-etag"); it != msg.end()) {
    hop.head.etag = clean_etag(it->value());
  } else if (auto et = msg.find(bhttp::field::etag); et != msg.end()) {
    hop.head.etag = clean_etag(et->value());
  }
  int s = hop.head.status;
  if (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) {
    auto it = msg.find(bhttp::field::location);
    if (it == msg.end()) throw FetchError(url.host + ": redirect without a Location", false, s);
    hop.location = std::string(it->value());
    return hop;
  }
  if (s != 200 && s != 206) {
    throw FetchError(
        url.host + url.target.substr(0, url.target.find('?')) + " answered " + status_text(s),
        retryable_status(s), s);
  }
  if (!on_head(hop.head)) return hop;
  std::vector<char> chunk(kChunk);
  int64_t received = 0;
  while (!parser.is_done()) {
    msg.body().data = chunk.data();
    msg.body().size = chunk.size();
    conn.arm(opts.read_timeout_ms);
    bhttp::async_read(stream, buffer, parser, [&](boost::system::error_code e, size_t) { ec = e; });
    conn.wait(ec, "reading the body");
    size_t n = chunk.size() - msg.body().size;
    // What arrived before a failure is kept: the next try resumes after it.
    if (n > 0) on_data(chunk.data(), n);
    received += static_cast<int64_t>(n);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) {
      throw FetchError(url.host + ": connection lost after " + std::to_string(received) +
                           " bytes: " + ec.message(),
                       true);
    }
  }
  return hop;
}

}  // namespace

std::string clean_etag(std::string_view etag) {
  std::string e = trim(etag);
  if (starts_with(e, "W/")) e.erase(0, 2);
  if (e.size() >= 2 && e.front() == '"' && e.back() == '"') e = e.substr(1, e.size() - 2);
  return e;
}

void fetch(const std::string& url, const http::Headers& headers, int64_t offset,
           const FetchOptions& opts, const std::function<bool(const FetchHead&)>& on_head,
           const std::function<void(const char*, size_t)>& on_data) {
  std::string current = url;
  http::Headers hop_headers = headers;
  std::string linked_etag;
  for (int hops = 0; hops <= opts.max_redirects; ++hops) {
    http::Url u;
    try {
      u = http::parse_url(current);
    } catch (const std::exception& e) {
      throw FetchError("not a valid http(s) URL: " + current.substr(0, 300), false);
    }
    Connection conn(u, opts);
    Hop hop;
    // The head passed on names the final URL and the first checksum a hop gave.
    auto head_hook = [&](const FetchHead& h) {
      FetchHead full = h;
      full.final_url = current;
      if (!linked_etag.empty()) full.etag = linked_etag;
      return on_head(full);
    };
    conn.run([&](auto& stream) {
      hop = exchange(conn, stream, u, hop_headers, offset, opts, head_hook, on_data);
    });
    if (hop.location.empty()) return;
    if (linked_etag.empty()) linked_etag = hop.head.etag;
    std::string next = resolve_location(u, hop.location);
    http::Url nu;
    try {
      nu = http::parse_url(next);
    } catch (const std::exception&) {
      throw FetchError("redirect to an invalid URL: " + next.substr(0, 300), false);
    }
    // Credentials are for the origin only: a CDN gets a signed URL instead.
    if (nu.host != u.host || nu.port != u.port) {
      std::erase_if(hop_headers,
                    [](const auto& h) { return to_lower(h.first) == "authorization"; });
    }
    current = next;
  }
  throw FetchError(url + ": more than " + std::to_string(opts.max_redirects) + " redirects", false);
}

std::string fetch_text(const std::string& url, const http::Headers& headers,
                       const FetchOptions& opts, size_t max_bytes) {
  std::string body;
  fetch(
      url, headers, 0, opts, [](const FetchHead&) { return true; },
      [&](const char* p, size_t n) {
        if (body.size() + n > max_bytes) {
          throw FetchError(url + ": answer larger than " + std::to_string(max_bytes) + " bytes",
                           false);
        }
        body.append(p, n);
      });
  return body;
}

}  // namespace hydra::files
