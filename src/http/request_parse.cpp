#include "http/request_parse.h"

#include "common/random.h"
#include "http/url.h"

namespace hydra::http {

namespace {
bool valid_request_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}
}  // namespace

Request request_from_head(RequestHead&& head, std::string body, const std::string& remote) {
  Request req;
  req.method = std::move(head.method);
  req.target = std::move(head.target);
  size_t q = req.target.find('?');
  req.path = percent_decode(std::string_view(req.target).substr(0, q));
  if (q != std::string::npos) req.query = parse_query(std::string_view(req.target).substr(q + 1));
  req.headers = std::move(head.headers);
  req.body = std::move(body);
  req.remote_addr = remote;
  const std::string* rid = req.header("x-request-id");
  req.request_id = rid && valid_request_id(*rid) ? *rid : new_id();
  return req;
}

ParseResult parse_request(std::string_view bytes, int64_t max_header_bytes, int64_t max_body_bytes,
                          const std::string& remote_addr) {
  ParseResult out;
  auto refuse = [&out](int status, std::string why) {
    out.error_status = status;
    out.error = std::move(why);
    return std::move(out);
  };
  size_t head_bytes = head_size(bytes);
  if (head_bytes == 0) {
    if (bytes.size() > static_cast<size_t>(max_header_bytes)) {
      return refuse(431, "header fields too large");
    }
    return out;
  }
  if (head_bytes > static_cast<size_t>(max_header_bytes)) {
    return refuse(431, "header fields too large");
  }
  RequestHead head;
  std::string why;
  if (!parse_request_head(bytes.substr(0, head_bytes), head, why)) return refuse(400, why);
  std::string_view rest = bytes.substr(head_bytes);
  std::string body;
  switch (head.body.kind) {
    case BodyFraming::Kind::kLength:
      if (head.body.length > static_cast<uint64_t>(max_body_bytes)) {
        return refuse(413, "body too large");
      }
      if (rest.size() < head.body.length) return out;
      body = std::string(rest.substr(0, head.body.length));
      break;
    case BodyFraming::Kind::kChunked: {
      ChunkedDecoder decoder;
      decoder.feed(rest, body);
      if (body.size() > static_cast<size_t>(max_body_bytes)) return refuse(413, "body too large");
      if (decoder.failed()) return refuse(400, "bad chunked encoding");
      if (!decoder.done()) return out;
      break;
    }
    case BodyFraming::Kind::kNone:
    case BodyFraming::Kind::kUntilClose:
      break;
  }
  out.complete = true;
  out.request = request_from_head(std::move(head), std::move(body), remote_addr);
  return out;
}

}  // namespace hydra::http
