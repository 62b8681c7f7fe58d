// GGUF <-> Hugging Face tensor names for the supported architectures.
#include "engine/model/tensor_names.h"

#include <span>
#include <string_view>
#include <utility>

namespace hydra::engine {
namespace {

struct NamePair {
  std::string_view gguf;
  std::string_view hf;
};

// Whole-model tensors.
constexpr NamePair kDecoderGlobal[] = {
    {"token_embd", "model.embed_tokens"},
    {"output_norm", "model.norm"},
    {"output", "lm_head"},
};
// Per-layer tensors: "blk.N.<gguf>" <-> "model.layers.N.<hf>".
constexpr NamePair kDecoderLayer[] = {
    {"attn_norm", "input_layernorm"},    {"attn_q", "self_attn.q_proj"},
    {"attn_k", "self_attn.k_proj"},      {"attn_v", "self_attn.v_proj"},
    {"attn_output", "self_attn.o_proj"}, {"attn_q_norm", "self_attn.q_norm"},
    {"attn_k_norm", "self_attn.k_norm"}, {"ffn_norm", "post_attention_layernorm"},
    {"ffn_gate", "mlp.gate_proj"},       {"ffn_up", "mlp.up_proj"},
    {"ffn_down", "mlp.down_proj"},
};
constexpr NamePair kBertGlobal[] = {
    {"token_embd", "embeddings.word_embeddings"},
    {"position_embd", "embeddings.position_embeddings"},
    {"token_types", "embeddings.token_type_embeddings"},
    {"token_embd_norm", "embeddings.LayerNorm"},
};
// "blk.N.<gguf>" <-> "encoder.layer.N.<hf>".
constexpr NamePair kBertLayer[] = {
    {"attn_q", "attention.self.query"},
    {"attn_k", "attention.self.key"},
    {"attn_v", "attention.self.value"},
    {"attn_output", "attention.output.dense"},
    {"attn_output_norm", "attention.output.LayerNorm"},
    {"ffn_up", "intermediate.dense"},
    {"ffn_down", "output.dense"},
    {"layer_output_norm", "output.LayerNorm"},
};

// Splits "<base>.<weight|bias>".
std::pair<std::string_view, std::string_view> split_kind(std::string_view name) {
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return {name, ""};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

std::string_view lookup(std::span<const NamePair> table, std::string_view gguf) {
  for (const NamePair& p : table) {
    if (p.gguf == gguf) return p.hf;
  }
  return {};
}

}  // namespace

std::string layer_tensor(int64_t layer, const char* suffix) {
  return "blk." + std::to_string(layer) + "." + suffix;
}

std::vector<std::string> hf_names_for(const std::string& gguf_name, bool bert) {
  auto [base, kind] = split_kind(gguf_name);
  std::string tail = kind.empty() ? "" : "." + std::string(kind);
  std::string hf;
  if (base.starts_with("blk.")) {
    size_t dot = base.find('.', 4);
    if (dot == std::string_view::npos) return {};
    std::string_view layer = base.substr(4, dot - 4);
    std::string_view rest = base.substr(dot + 1);
    std::string_view mapped =
        lookup(bert ? std::span<const NamePair>(kBertLayer) : kDecoderLayer, rest);
    if (mapped.empty()) return {};
    hf = std::string(bert ? "encoder.layer." : "model.layers.") + std::string(layer) + "." +
         std::string(mapped) + tail;
  } else {
    std::string_view mapped =
        lookup(bert ? std::span<const NamePair>(kBertGlobal) : kDecoderGlobal, base);
    if (mapped.empty()) return {};
    hf = std::string(mapped) + tail;
  }
  // BertModel checkpoints saved from a task head carry a "bert." prefix.
  if (bert) return {hf, "bert." + hf};
  return {hf};
}

}  // namespace hydra::engine
