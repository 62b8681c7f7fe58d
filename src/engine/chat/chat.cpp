#include "engine/chat/chat.h"

#include "common/error.h"

namespace hydra::engine::chat {

namespace bj = boost::json;

namespace {

// Replaces string arguments that hold a JSON object with the object.
bj::array decode_arguments(const bj::array& messages) {
  bj::array out = messages;
  for (auto& m : out) {
    if (!m.is_object()) continue;
    auto* calls = m.as_object().if_contains("tool_calls");
    if (!calls || !calls->is_array()) continue;
    for (auto& call : calls->as_array()) {
      if (!call.is_object()) continue;
      auto* fn = call.as_object().if_contains("function");
      if (!fn || !fn->is_object()) continue;
      auto* args = fn->as_object().if_contains("arguments");
      if (!args || !args->is_string()) continue;
      bj::error_code ec;
      bj::value parsed = bj::parse(args->as_string(), ec);
      if (!ec && parsed.is_object()) *args = std::move(parsed);
    }
  }
  return out;
}

}  // namespace

bj::object chat_context(const ChatInputs& in) {
  bj::object ctx;
  for (const auto& kv : in.extra) {
    if (kv.key() == "messages" || kv.key() == "tools" || kv.key() == "add_generation_prompt")
      throw_param("chat_template_kwargs may not set '" + std::string(kv.key()) + "'",
                  "chat_template_kwargs");
    ctx[kv.key()] = kv.value();
  }
  ctx["messages"] = in.decode_tool_arguments ? decode_arguments(in.messages) : in.messages;
  ctx["tools"] = in.tools;
  ctx["add_generation_prompt"] = in.add_generation_prompt;
  if (!ctx.contains("bos_token")) ctx["bos_token"] = in.bos_token;
  if (!ctx.contains("eos_token")) ctx["eos_token"] = in.eos_token;
  return ctx;
}

std::string render_chat(const jinja::Template& tmpl, const ChatInputs& in,
                        const jinja::RenderConfig& config) {
  bj::object ctx = chat_context(in);
  try {
    return tmpl.render(ctx, config);
  } catch (const jinja::TemplateRaised& e) {
    throw ApiError(ErrorCode::kParamError,
                   std::string("the model's chat template rejected the conversation: ") + e.what(),
                   "messages");
  } catch (const jinja::TemplateError& e) {
    throw ApiError(
        ErrorCode::kParamError,
        std::string("the model's chat template failed on this conversation: ") + e.what(),
        "messages");
  }
}

}  // namespace hydra::engine::chat
