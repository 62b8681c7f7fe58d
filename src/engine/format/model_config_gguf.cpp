// ModelConfig from GGUF metadata and the tensor index.
#include "engine/format/format_error.h"
#include "engine/format/gguf.h"
#include "engine/format/model_config.h"

namespace hydra::engine {

namespace {

int64_t positive(const GgufFile& f, const std::string& key) {
  const int64_t v = f.get_i64(key);
  if (v <= 0) throw FormatError("gguf: metadata '" + key + "' must be positive");
  return v;
}

RopeScaling rope_scaling_of(const GgufFile& f, const std::string& a) {
  RopeScaling out;
  out.type = f.get_str(a + ".rope.scaling.type", "");
  if (out.type == "none") out.type.clear();
  out.factor = f.get_f32(a + ".rope.scaling.factor", 1.0f);
  out.original_max_position_embeddings = f.get_i64(a + ".rope.scaling.original_context_length", 0);
  // Older files state only a linear scale.
  if (out.type.empty() && f.has(a + ".rope.scale_linear")) {
    out.type = "linear";
    out.factor = f.get_f32(a + ".rope.scale_linear");
  }
  if (out.type.empty()) out.factor = 1.0f;
  return out;
}

}  // namespace

ModelConfig model_config_from_gguf(const GgufFile& f) {
  ModelConfig c;
  const std::string a = f.architecture();
  if (a.empty()) throw FormatError("gguf: missing general.architecture");
  c.architecture = a;
  c.model_type = a;
  c.hidden_size = positive(f, a + ".embedding_length");
  c.intermediate_size = positive(f, a + ".feed_forward_length");
  c.num_hidden_layers = positive(f, a + ".block_count");
  c.num_attention_heads = positive(f, a + ".attention.head_count");
  c.num_key_value_heads = f.get_i64(a + ".attention.head_count_kv", c.num_attention_heads);
  if (c.num_key_value_heads <= 0 || c.num_attention_heads % c.num_key_value_heads != 0) {
    throw FormatError("gguf: attention.head_count must be a multiple of attention.head_count_kv");
  }
  c.head_dim = f.get_i64(a + ".attention.key_length", c.hidden_size / c.num_attention_heads);
  if (c.head_dim <= 0) throw FormatError("gguf: attention.key_length must be positive");
  const bool is_bert = a == "bert";
  c.rms_norm_eps = is_bert ? f.get_f32(a + ".attention.layer_norm_epsilon", 1e-12f)
                           : f.get_f32(a + ".attention.layer_norm_rms_epsilon", 1e-6f);
  c.rope_theta = f.get_f32(a + ".rope.freq_base", 10000.0f);
  c.rope_scaling = rope_scaling_of(f, a);
  c.max_position_embeddings = f.get_i64(a + ".context_length", 0);
  c.vocab_size = f.has(a + ".vocab_size") ? f.get_i64(a + ".vocab_size")
                 : f.has("tokenizer.ggml.tokens")
                     ? static_cast<int64_t>(f.get_arr_size("tokenizer.ggml.tokens"))
                     : 0;
  c.bos_token_id = f.has("tokenizer.ggml.bos_token_id")
                       ? static_cast<int64_t>(f.get_u32("tokenizer.ggml.bos_token_id"))
                       : -1;
  for (const char* key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
                          "tokenizer.ggml.eom_token_id"}) {
    if (!f.has(key)) continue;
    const int64_t id = f.get_u32(key);
    bool seen = false;
    for (int64_t e : c.eos_token_ids) seen = seen || e == id;
    if (!seen) c.eos_token_ids.push_back(id);
  }
  // What GGUF metadata leaves implicit, the tensor index tells; a file
  // without tensors (a vocabulary) falls back on the family's convention.
  const bool has_tensors = !f.tensors.empty();
  c.tie_word_embeddings = has_tensors && f.find_tensor("output.weight") == nullptr;
  c.attention_bias = has_tensors ? f.find_tensor("blk.0.attn_q.bias") != nullptr : a == "qwen2";
  c.qk_norm = has_tensors ? f.find_tensor("blk.0.attn_q_norm.weight") != nullptr : a == "qwen3";
  c.type_vocab_size = f.get_i64("tokenizer.ggml.token_type_count", 0);
  c.causal = f.get_bool(a + ".attention.causal", !is_bert);
  return c;
}

}  // namespace hydra::engine
