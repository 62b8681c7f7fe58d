#pragma once
// tokenizer_config.json: the chat template and the special-token settings a
// Hugging Face model directory carries next to tokenizer.json.
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace hydra::engine {

struct TokenizerConfig {
  std::string chat_template;                           // the default template ("" if none)
  std::map<std::string, std::string> named_templates;  // when the file lists several
  std::string bos_token, eos_token, unk_token, pad_token;
  std::optional<bool> add_bos_token, add_eos_token;
  std::string tokenizer_class;
  int64_t model_max_length = 0;  // 0 when absent or absurd
};

// Special tokens may be strings or AddedToken objects {"content": ...}; a
// chat_template may be a string or a list of {name, template}.
TokenizerConfig parse_tokenizer_config(std::string_view json_text);
// Reads the file; when it has no chat_template and a chat_template.jinja
// sits beside it (newer Hugging Face layout), that file is the template.
TokenizerConfig read_tokenizer_config(const std::string& path);

}  // namespace hydra::engine
