#include "gateway/stream_meter.h"

#include <boost/json.hpp>

#include "common/json.h"
#include "gateway/sse.h"

namespace hydra::gateway {

namespace bj = boost::json;

namespace {

bool flag(const bj::object& o, std::string_view key) {
  const bj::value* v = o.if_contains(key);
  return v && v->is_bool() && v->get_bool();
}

int64_t num(const bj::object& o, std::string_view key) {
  const bj::value* v = o.if_contains(key);
  return json::count_or_zero(v);
}

// True when a chat or completion event carries generated text: a non-empty
// "content", "text" or tool-call "arguments" string. Textual, so events
// without usage are never parsed.
bool carries_text(const std::string& event) {
  for (const char* key : {"\"content\":\"", "\"text\":\"", "\"arguments\":\""}) {
    size_t at = event.find(key);
    while (at != std::string::npos) {
      size_t after = at + std::char_traits<char>::length(key);
      if (after < event.size() && event[after] != '"') return true;
      at = event.find(key, after);
    }
  }
  return false;
}

}  // namespace

StreamAsk client_stream_ask(const bj::object& body) {
  StreamAsk ask;
  const bj::value* so = body.if_contains("stream_options");
  if (so && so->is_object()) {
    ask.include_usage = flag(so->get_object(), "include_usage");
    ask.continuous = flag(so->get_object(), "continuous_usage_stats");
  }
  return ask;
}

void ask_stream_usage(bj::object& body, const StreamAsk& client, bool endpoint_continuous) {
  bj::value& so = body["stream_options"];
  if (!so.is_object()) so = bj::object();
  bj::object& o = so.as_object();
  o["include_usage"] = true;
  if (endpoint_continuous) {
    o["continuous_usage_stats"] = true;
  } else if (!client.continuous) {
    o.erase("continuous_usage_stats");
  }
}

void StreamMeter::capture(const bj::object& usage) {
  saw_usage_ = true;
  prompt_ = num(usage, "prompt_tokens");
  completion_ = num(usage, "completion_tokens");
  cached_ = 0;
  if (const bj::value* d = usage.if_contains("prompt_tokens_details"); d && d->is_object()) {
    cached_ = num(d->get_object(), "cached_tokens");
  }
}

std::string StreamMeter::pass(const std::string& event) {
  if (carries_text(event)) ++text_events_;
  // Only events that may carry usage are parsed; "usage":null is skipped.
  size_t at = event.find("\"usage\"");
  if (at == std::string::npos || event.compare(at, 12, "\"usage\":null") == 0) return event;
  bj::error_code ec;
  bj::value v = bj::parse(sse_data(event), ec);
  if (ec || !v.is_object()) return event;
  bj::object& o = v.as_object();
  const bj::value* u = o.if_contains("usage");
  if (!u || !u->is_object()) return event;
  capture(u->get_object());
  const bj::value* choices = o.if_contains("choices");
  bool usage_only = !choices || !choices->is_array() || choices->get_array().empty();
  if (usage_only) return client_.include_usage ? event : std::string();
  if (client_.continuous) return event;
  // Usage the gateway asked for on a content event: hidden the way the
  // client's own request would have left it.
  if (client_.include_usage) {
    o["usage"] = nullptr;
  } else {
    o.erase("usage");
  }
  return "data: " + bj::serialize(o) + "\n\n";
}

}  // namespace hydra::gateway
