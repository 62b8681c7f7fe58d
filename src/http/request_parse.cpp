#include "http/request_parse.h"

#include <boost/asio/buffer.hpp>

#include "common/random.h"
#include "common/strings.h"
#include "http/beast_request.h"
#include "http/url.h"

namespace hydra::http {

namespace bhttp = boost::beast::http;

namespace {
bool valid_request_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}
}  // namespace

Request request_from_beast(bhttp::request<bhttp::string_body>&& msg, const std::string& remote) {
  Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  size_t q = req.target.find('?');
  req.path = percent_decode(std::string_view(req.target).substr(0, q));
  if (q != std::string::npos) req.query = parse_query(std::string_view(req.target).substr(q + 1));
  for (const auto& f : msg)
    req.headers.emplace_back(to_lower(f.name_string()), std::string(f.value()));
  req.body = std::move(msg.body());
  req.remote_addr = remote;
  const std::string* rid = req.header("x-request-id");
  req.request_id = rid && valid_request_id(*rid) ? *rid : new_id();
  return req;
}

ParseResult parse_request(std::string_view bytes, int64_t max_header_bytes, int64_t max_body_bytes,
                          const std::string& remote_addr) {
  ParseResult out;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<uint32_t>(max_header_bytes));
  parser.body_limit(static_cast<uint64_t>(max_body_bytes));
  parser.eager(true);
  boost::beast::error_code ec;
  size_t used = 0;
  while (used < bytes.size() && !parser.is_done()) {
    size_t n = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    if (ec == bhttp::error::need_more) break;
    if (ec) break;
    if (n == 0) break;
    used += n;
  }
  if (!ec && !parser.is_done() && used == bytes.size()) {
    parser.put_eof(ec);
  }
  if (ec && ec != bhttp::error::need_more) {
    out.error = ec.message();
    out.error_status = ec == bhttp::error::header_limit ? 431
                       : ec == bhttp::error::body_limit ? 413
                                                        : 400;
    return out;
  }
  if (!parser.is_done()) return out;
  out.complete = true;
  out.request = request_from_beast(parser.release(), remote_addr);
  return out;
}

}  // namespace hydra::http
