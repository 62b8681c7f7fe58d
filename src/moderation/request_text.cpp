#include "moderation/request_text.h"

namespace hydra::moderation {
namespace {

void append(std::string& out, std::string_view s) {
  if (s.empty()) return;
  if (!out.empty()) out += '\n';
  out += s;
}

// A string, a list of strings, or a list of content parts / documents with text.
void append_value(std::string& out, const boost::json::value& v) {
  if (const auto* s = v.if_string()) {
    append(out, *s);
    return;
  }
  const auto* arr = v.if_array();
  if (!arr) return;
  for (const auto& item : *arr) {
    if (const auto* s = item.if_string()) {
      append(out, *s);
    } else if (const auto* o = item.if_object()) {
      if (const auto* t = o->if_contains("text")) append_value(out, *t);
    }
  }
}

}  // namespace

std::string request_text(const boost::json::value& request) {
  std::string out;
  const auto* o = request.if_object();
  if (!o) return out;
  if (const auto* msgs = o->if_contains("messages"); msgs && msgs->is_array()) {
    for (const auto& m : msgs->get_array()) {
      const auto* mo = m.if_object();
      if (!mo) continue;
      if (const auto* c = mo->if_contains("content")) append_value(out, *c);
    }
  }
  for (const char* key : {"prompt", "input", "query", "documents", "negative_prompt"}) {
    if (const auto* v = o->if_contains(key)) append_value(out, *v);
  }
  return out;
}

namespace {

void append_tool_arguments(std::string& out, const boost::json::value* calls) {
  if (!calls || !calls->is_array()) return;
  for (const auto& call : calls->get_array()) {
    const auto* fn = call.is_object() ? call.get_object().if_contains("function") : nullptr;
    if (!fn || !fn->is_object()) continue;
    if (const auto* a = fn->get_object().if_contains("arguments")) append_value(out, *a);
  }
}

// Every choice's text, reading the message under `message_key` ("message"
// for whole answers, "delta" for streamed chunks).
std::string choices_text(const boost::json::value& answer, const char* message_key) {
  std::string out;
  const auto* o = answer.if_object();
  if (!o) return out;
  const auto* choices = o->if_contains("choices");
  if (!choices || !choices->is_array()) return out;
  for (const auto& ch : choices->get_array()) {
    const auto* co = ch.if_object();
    if (!co) continue;
    if (const auto* t = co->if_contains("text")) append_value(out, *t);
    const auto* msg = co->if_contains(message_key);
    if (!msg || !msg->is_object()) continue;
    if (const auto* c = msg->get_object().if_contains("content")) append_value(out, *c);
    append_tool_arguments(out, msg->get_object().if_contains("tool_calls"));
  }
  return out;
}

}  // namespace

std::string answer_text(const boost::json::value& answer) {
  return choices_text(answer, "message");
}

std::string chunk_text(const boost::json::value& chunk) {
  return choices_text(chunk, "delta");
}

}  // namespace hydra::moderation
