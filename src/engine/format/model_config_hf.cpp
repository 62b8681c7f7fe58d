// ModelConfig from a Hugging Face config.json.
#include <cmath>

#include "engine/format/format_error.h"
#include "engine/format/model_config.h"
#include "engine/format/text_file.h"

namespace hydra::engine {

namespace bj = boost::json;

namespace {

class ConfigFields {
 public:
  explicit ConfigFields(const bj::object& o) : o_(o) {}

  [[noreturn]] void fail(std::string_view key, const char* expected) const {
    throw FormatError("config.json: field '" + std::string(key) + "' must be " + expected);
  }

  // null counts as absent: Hugging Face writes explicit nulls for defaults.
  const bj::value* find(std::string_view key) const {
    const bj::value* v = o_.if_contains(key);
    return v == nullptr || v->is_null() ? nullptr : v;
  }

  int64_t integer(std::string_view key, int64_t fallback) const {
    const bj::value* v = find(key);
    if (v == nullptr) return fallback;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
      return static_cast<int64_t>(v->get_uint64());
    }
    if (v->is_double() && std::floor(v->get_double()) == v->get_double() &&
        std::fabs(v->get_double()) < 9e15) {
      return static_cast<int64_t>(v->get_double());
    }
    fail(key, "an integer");
  }

  int64_t required_positive(std::string_view key) const {
    const int64_t v = integer(key, 0);
    if (v <= 0) fail(key, "a positive integer (required)");
    return v;
  }

  double number(std::string_view key, double fallback) const {
    const bj::value* v = find(key);
    if (v == nullptr) return fallback;
    if (v->is_number()) return v->to_number<double>();
    fail(key, "a number");
  }

  bool boolean(std::string_view key, bool fallback) const {
    const bj::value* v = find(key);
    if (v == nullptr) return fallback;
    if (v->is_bool()) return v->get_bool();
    fail(key, "true or false");
  }

  std::string string(std::string_view key) const {
    const bj::value* v = find(key);
    if (v == nullptr) return {};
    if (v->is_string()) return std::string(v->get_string());
    fail(key, "a string");
  }

 private:
  const bj::object& o_;
};

std::string family_of(const std::string& model_type, const bj::object& root) {
  if (model_type == "llama" || model_type == "mistral") return "llama";
  if (model_type == "qwen2" || model_type == "qwen3" || model_type == "bert") return model_type;
  // Fall back on the class name when model_type is missing.
  const bj::value* archs = root.if_contains("architectures");
  if (archs != nullptr && archs->is_array() && !archs->get_array().empty() &&
      archs->get_array()[0].is_string()) {
    const std::string_view cls = archs->get_array()[0].get_string();
    if (cls.starts_with("Llama") || cls.starts_with("Mistral")) return "llama";
    if (cls.starts_with("Qwen2")) return "qwen2";
    if (cls.starts_with("Qwen3")) return "qwen3";
    if (cls.starts_with("Bert")) return "bert";
    if (model_type.empty()) return std::string(cls);
  }
  return model_type;
}

RopeScaling rope_scaling_of(const bj::object& root) {
  RopeScaling out;
  const bj::value* v = root.if_contains("rope_scaling");
  if (v == nullptr || v->is_null()) return out;
  if (!v->is_object()) throw FormatError("config.json: field 'rope_scaling' must be an object");
  ConfigFields f(v->get_object());
  out.type = f.string("type");
  if (out.type.empty()) out.type = f.string("rope_type");
  if (out.type == "default") out.type.clear();
  out.factor = static_cast<float>(f.number("factor", 1.0));
  out.original_max_position_embeddings = f.integer("original_max_position_embeddings", 0);
  return out;
}

std::vector<int64_t> eos_ids_of(const bj::object& root) {
  const bj::value* v = root.if_contains("eos_token_id");
  if (v == nullptr || v->is_null()) return {};
  if (v->is_array()) {
    std::vector<int64_t> ids;
    for (const auto& e : v->get_array()) {
      if (!e.is_int64() || e.get_int64() < 0) {
        throw FormatError("config.json: eos_token_id entries must be non-negative integers");
      }
      ids.push_back(e.get_int64());
    }
    return ids;
  }
  const int64_t id = ConfigFields(root).integer("eos_token_id", -1);
  if (id < 0) throw FormatError("config.json: eos_token_id must be non-negative");
  return {id};
}

}  // namespace

ModelConfig parse_hf_config(std::string_view json_text) {
  const bj::value root_value = parse_json_text(json_text, "config.json");
  if (!root_value.is_object()) throw FormatError("config.json: not a JSON object");
  const bj::object& root = root_value.get_object();
  ConfigFields f(root);

  ModelConfig c;
  c.model_type = f.string("model_type");
  c.architecture = family_of(c.model_type, root);
  c.hidden_size = f.required_positive("hidden_size");
  c.intermediate_size = f.required_positive("intermediate_size");
  c.num_hidden_layers = f.required_positive("num_hidden_layers");
  c.num_attention_heads = f.required_positive("num_attention_heads");
  c.num_key_value_heads = f.integer("num_key_value_heads", c.num_attention_heads);
  c.head_dim = f.integer("head_dim", c.hidden_size / c.num_attention_heads);
  c.vocab_size = f.required_positive("vocab_size");
  if (c.num_key_value_heads <= 0 || c.num_attention_heads % c.num_key_value_heads != 0) {
    throw FormatError("config.json: num_attention_heads must be a multiple of num_key_value_heads");
  }
  if (c.head_dim <= 0) throw FormatError("config.json: head_dim must be positive");
  const bool is_bert = c.architecture == "bert";
  c.rms_norm_eps = static_cast<float>(is_bert ? f.number("layer_norm_eps", 1e-12)
                                              : f.number("rms_norm_eps", 1e-6));
  c.rope_theta = static_cast<float>(f.number("rope_theta", 10000.0));
  c.rope_scaling = rope_scaling_of(root);
  c.max_position_embeddings = f.integer("max_position_embeddings", 0);
  c.tie_word_embeddings = f.boolean("tie_word_embeddings", false);
  c.bos_token_id = f.integer("bos_token_id", -1);
  c.eos_token_ids = eos_ids_of(root);
  c.attention_bias = f.boolean("attention_bias", c.architecture == "qwen2");
  c.qk_norm = c.architecture == "qwen3";
  c.type_vocab_size = f.integer("type_vocab_size", 0);
  c.causal = !is_bert;
  c.torch_dtype = f.string("torch_dtype");
  return c;
}

ModelConfig read_hf_config(const std::string& path) {
  try {
    return parse_hf_config(read_text_file(path, size_t{4} << 20));
  } catch (const FormatError& e) {
    throw FormatError(path + ": " + e.what());
  }
}

}  // namespace hydra::engine
