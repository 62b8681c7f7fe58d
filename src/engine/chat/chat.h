#pragma once
// The chat layer: an OpenAI chat request's messages and tools rendered
// through the model's chat template into the prompt, the way Hugging Face's
// apply_chat_template calls it.
#include <boost/json.hpp>
#include <string>

#include "engine/chat/template.h"

namespace hydra::engine::chat {

struct ChatInputs {
  boost::json::array messages;
  boost::json::value tools;  // array of tool definitions, or null when none
  bool add_generation_prompt = true;
  std::string bos_token;
  std::string eos_token;
  // chat_template_kwargs (e.g. enable_thinking); cannot replace the above.
  boost::json::object extra;
  // OpenAI clients send tool_calls[].function.arguments as a JSON string;
  // templates expect an object (vLLM and llama.cpp decode it the same way).
  bool decode_tool_arguments = true;
};

// The template context for `in`: messages, tools, add_generation_prompt,
// bos_token, eos_token and the extras.
boost::json::object chat_context(const ChatInputs& in);

// Renders the prompt. A template error (including raise_exception, e.g.
// "roles must alternate") becomes ApiError(PARAM_ERROR).
std::string render_chat(const jinja::Template& tmpl, const ChatInputs& in,
                        const jinja::RenderConfig& config = {});

}  // namespace hydra::engine::chat
