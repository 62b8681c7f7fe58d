#pragma once
// Everything the server needs about one model, loaded once and shared
// read-only by every request: weights, tokenizer, chat template, the token
// bytes JSON mode needs, and the tool-call format the template teaches.
#include <memory>
#include <optional>
#include <string>

#include "engine/chat/template.h"
#include "engine/chat/tool_calls.h"
#include "engine/model/model.h"
#include "engine/sampling/token_bytes.h"
#include "engine/tokenizer/tokenizer.h"

namespace hydra::engine {

struct LoadedModel {
  std::unique_ptr<Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<TokenBytes> token_bytes;  // decoders only
  std::string template_source;              // "" when the model has none
  std::unique_ptr<jinja::Template> chat_template;
  chat::ToolCallFormat tool_format = chat::ToolCallFormat::kNone;
  int64_t n_ctx = 0;  // positions one sequence may use (prompt + output)

  std::string bos_text() const;
  std::string eos_text() const;
};

// Loads a GGUF file or a Hugging Face directory. `n_ctx` 0 takes the model's
// context length. Throws FormatError for unreadable files and
// TemplateSyntaxError for a chat template that does not parse.
std::unique_ptr<LoadedModel> load_for_serving(const std::string& path, int64_t n_ctx = 0);

}  // namespace hydra::engine
