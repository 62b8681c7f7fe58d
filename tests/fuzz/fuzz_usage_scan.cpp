// Fuzzes the usage scan of whole upstream answers against the document
// parse it replaces: for any bytes, scan_usage must find the same counts as
// boost::json::parse followed by json::count_or_zero on usage.prompt_tokens,
// usage.completion_tokens and usage.prompt_tokens_details.cached_tokens.
//
// The translation unit is built into the target itself: the gateway library
// also holds coroutine code that clang 14 cannot instrument.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>

#include "../../src/gateway/usage_scan.cpp"
#include "common/json.h"

namespace {

hydra::gateway::AnswerUsage by_document(std::string_view text) {
  hydra::gateway::AnswerUsage out;
  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return out;
  out.valid = true;
  const boost::json::value* u = v.as_object().if_contains("usage");
  if (!u || !u->is_object()) return out;
  const boost::json::object& o = u->get_object();
  out.found = true;
  out.prompt_tokens = hydra::json::count_or_zero(o.if_contains("prompt_tokens"));
  out.completion_tokens = hydra::json::count_or_zero(o.if_contains("completion_tokens"));
  if (const boost::json::value* d = o.if_contains("prompt_tokens_details"); d && d->is_object()) {
    out.cached_tokens = hydra::json::count_or_zero(d->get_object().if_contains("cached_tokens"));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  hydra::gateway::AnswerUsage scanned = hydra::gateway::scan_usage(text);
  hydra::gateway::AnswerUsage parsed = by_document(text);
  if (scanned.valid != parsed.valid || scanned.found != parsed.found) __builtin_trap();
  if (parsed.found && (scanned.prompt_tokens != parsed.prompt_tokens ||
                       scanned.completion_tokens != parsed.completion_tokens ||
                       scanned.cached_tokens != parsed.cached_tokens)) {
    __builtin_trap();
  }
  return 0;
}
