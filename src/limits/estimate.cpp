#include "limits/estimate.h"

#include <boost/json.hpp>

namespace hydra::limits {
namespace {

namespace bj = boost::json;

constexpr int64_t kBytesPerToken = 4;
constexpr int64_t kTokensPerMessage = 4;
constexpr int64_t kMaxReserve = int64_t{1} << 40;

// Bytes of text in every string below `v`, with a depth bound so a deeply
// nested body cannot exhaust the stack.
int64_t text_bytes(const bj::value& v, int depth) {
  if (depth > 64) return 0;
  switch (v.kind()) {
    case bj::kind::string:
      return static_cast<int64_t>(v.get_string().size());
    case bj::kind::array: {
      int64_t n = 0;
      for (const auto& e : v.get_array()) n += text_bytes(e, depth + 1);
      return n;
    }
    case bj::kind::object: {
      int64_t n = 0;
      for (const auto& kv : v.get_object()) n += text_bytes(kv.value(), depth + 1);
      return n;
    }
    default:
      return 0;
  }
}

int64_t positive_int(const bj::object& o, std::string_view k, int64_t fallback) {
  const bj::value* v = o.if_contains(k);
  if (!v) return fallback;
  if (v->is_int64()) return std::clamp<int64_t>(v->get_int64(), 0, kMaxReserve);
  if (v->is_uint64()) return kMaxReserve;
  return fallback;
}

}  // namespace

Estimate estimate_request(const bj::object& body, std::string_view path) {
  Estimate e;
  bool images = path == "/images/generations";
  bool embeddings = path == "/embeddings" || path == "/rerank";
  int64_t bytes = 0;
  int64_t messages = 0;
  for (const char* field : {"messages", "prompt", "input", "query", "documents"}) {
    if (const bj::value* v = body.if_contains(field)) {
      bytes += text_bytes(*v, 0);
      if (v->is_array()) messages += static_cast<int64_t>(v->get_array().size());
    }
  }
  int64_t n = std::max<int64_t>(1, positive_int(body, "n", 1));
  n = std::min<int64_t>(n, 1 << 20);
  if (images) {
    e.images = n;
    return e;
  }
  int64_t prompt = (bytes + kBytesPerToken - 1) / kBytesPerToken + kTokensPerMessage * messages;
  int64_t completion = 0;
  if (!embeddings) {
    completion = positive_int(body, "max_completion_tokens",
                              positive_int(body, "max_tokens", kDefaultCompletionReserve));
  }
  e.tokens = std::min(kMaxReserve, prompt + completion * n);
  return e;
}

}  // namespace hydra::limits
