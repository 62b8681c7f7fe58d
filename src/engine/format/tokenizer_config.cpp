#include "engine/format/tokenizer_config.h"

#include "engine/format/format_error.h"
#include "engine/format/text_file.h"

namespace hydra::engine {

namespace bj = boost::json;

namespace {

// A special token is "text", {"content": "text", ...}, or null.
std::string token_text(const bj::object& root, std::string_view key) {
  const bj::value* v = root.if_contains(key);
  if (v == nullptr || v->is_null()) return {};
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_object()) {
    const bj::value* content = v->get_object().if_contains("content");
    if (content != nullptr && content->is_string()) return std::string(content->get_string());
  }
  throw FormatError("tokenizer_config.json: '" + std::string(key) +
                    "' must be a string or an object with a content string");
}

std::optional<bool> flag(const bj::object& root, std::string_view key) {
  const bj::value* v = root.if_contains(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_bool())
    throw FormatError("tokenizer_config.json: '" + std::string(key) + "' must be a bool");
  return v->get_bool();
}

void read_templates(const bj::object& root, TokenizerConfig& out) {
  const bj::value* v = root.if_contains("chat_template");
  if (v == nullptr || v->is_null()) return;
  if (v->is_string()) {
    out.chat_template = std::string(v->get_string());
    return;
  }
  if (!v->is_array())
    throw FormatError("tokenizer_config.json: chat_template must be a string or a list");
  for (const auto& item : v->get_array()) {
    const bj::object* o = item.if_object();
    const bj::value* name = o != nullptr ? o->if_contains("name") : nullptr;
    const bj::value* text = o != nullptr ? o->if_contains("template") : nullptr;
    if (name == nullptr || text == nullptr || !name->is_string() || !text->is_string()) {
      throw FormatError("tokenizer_config.json: chat_template list entries need name and template");
    }
    out.named_templates[std::string(name->get_string())] = std::string(text->get_string());
  }
  auto def = out.named_templates.find("default");
  if (def != out.named_templates.end()) out.chat_template = def->second;
}

}  // namespace

TokenizerConfig parse_tokenizer_config(std::string_view json_text) {
  const bj::value root_value = parse_json_text(json_text, "tokenizer_config.json");
  if (!root_value.is_object()) throw FormatError("tokenizer_config.json: not a JSON object");
  const bj::object& root = root_value.get_object();
  TokenizerConfig out;
  read_templates(root, out);
  out.bos_token = token_text(root, "bos_token");
  out.eos_token = token_text(root, "eos_token");
  out.unk_token = token_text(root, "unk_token");
  out.pad_token = token_text(root, "pad_token");
  out.add_bos_token = flag(root, "add_bos_token");
  out.add_eos_token = flag(root, "add_eos_token");
  if (const bj::value* cls = root.if_contains("tokenizer_class");
      cls != nullptr && cls->is_string()) {
    out.tokenizer_class = std::string(cls->get_string());
  }
  // Hugging Face writes 1e30 for "no limit"; keep only believable lengths.
  if (const bj::value* len = root.if_contains("model_max_length"); len != nullptr) {
    if (len->is_int64() && len->get_int64() > 0 && len->get_int64() < (int64_t{1} << 40)) {
      out.model_max_length = len->get_int64();
    }
  }
  return out;
}

TokenizerConfig read_tokenizer_config(const std::string& path) {
  TokenizerConfig out;
  try {
    out = parse_tokenizer_config(read_text_file(path, size_t{64} << 20));
  } catch (const FormatError& e) {
    throw FormatError(path + ": " + e.what());
  }
  if (out.chat_template.empty()) {
    const auto slash = path.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    const std::string jinja = dir + "/chat_template.jinja";
    if (file_exists(jinja)) out.chat_template = read_text_file(jinja, size_t{4} << 20);
  }
  return out;
}

}  // namespace hydra::engine
