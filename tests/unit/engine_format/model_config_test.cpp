#include "engine/format/model_config.h"

#include <gtest/gtest.h>

#include "engine/format/format_error.h"
#include "engine/format/gguf.h"
#include "engine/format/gguf_writer.h"

using namespace hydra::engine;

TEST(ModelConfigHf, Qwen2WithTiedEmbeddings) {
  const ModelConfig c = parse_hf_config(R"({
    "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2",
    "hidden_size": 896, "intermediate_size": 4864, "num_hidden_layers": 24,
    "num_attention_heads": 14, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0, "max_position_embeddings": 32768, "vocab_size": 151936,
    "tie_word_embeddings": true, "bos_token_id": 151643, "eos_token_id": 151645,
    "rope_scaling": null, "sliding_window": 32768, "torch_dtype": "bfloat16"})");
  EXPECT_EQ(c.architecture, "qwen2");
  EXPECT_EQ(c.hidden_size, 896);
  EXPECT_EQ(c.intermediate_size, 4864);
  EXPECT_EQ(c.num_hidden_layers, 24);
  EXPECT_EQ(c.num_attention_heads, 14);
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_FLOAT_EQ(c.rms_norm_eps, 1e-6f);
  EXPECT_EQ(c.rope_theta, 1e6f);
  EXPECT_TRUE(c.rope_scaling.type.empty());
  EXPECT_EQ(c.max_position_embeddings, 32768);
  EXPECT_EQ(c.vocab_size, 151936);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.bos_token_id, 151643);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{151645}));
  EXPECT_TRUE(c.attention_bias);  // Qwen2 always has q/k/v biases
  EXPECT_FALSE(c.qk_norm);
  EXPECT_TRUE(c.causal);
  EXPECT_EQ(c.torch_dtype, "bfloat16");
}

TEST(ModelConfigHf, Qwen3HeadDimAndQkNorm) {
  const ModelConfig c = parse_hf_config(R"({
    "model_type": "qwen3", "hidden_size": 1024, "intermediate_size": 3072,
    "num_hidden_layers": 28, "num_attention_heads": 16, "num_key_value_heads": 8,
    "head_dim": 128, "attention_bias": false, "vocab_size": 151936,
    "rope_theta": 1000000, "eos_token_id": 151645})");
  EXPECT_EQ(c.architecture, "qwen3");
  EXPECT_EQ(c.head_dim, 128);  // not hidden / heads = 64
  EXPECT_TRUE(c.qk_norm);
  EXPECT_FALSE(c.attention_bias);
  EXPECT_EQ(c.rope_theta, 1e6f);  // integer in JSON
  EXPECT_FALSE(c.tie_word_embeddings);
}

TEST(ModelConfigHf, LlamaWithLinearScalingAndEosList) {
  const ModelConfig c = parse_hf_config(R"({
    "architectures": ["LlamaForCausalLM"], "model_type": "llama",
    "hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
    "num_attention_heads": 32, "num_key_value_heads": 8, "rms_norm_eps": 1e-05,
    "rope_theta": 500000.0, "rope_scaling": {"type": "linear", "factor": 2.0},
    "vocab_size": 128256, "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009]})");
  EXPECT_EQ(c.architecture, "llama");
  EXPECT_EQ(c.rope_scaling.type, "linear");
  EXPECT_EQ(c.rope_scaling.factor, 2.0f);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{128001, 128008, 128009}));
  EXPECT_FALSE(c.attention_bias);

  const ModelConfig l3 = parse_hf_config(R"({"model_type": "llama", "hidden_size": 64,
    "intermediate_size": 128, "num_hidden_layers": 1, "num_attention_heads": 4, "vocab_size": 10,
    "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "original_max_position_embeddings": 8192}})");
  EXPECT_EQ(l3.rope_scaling.type, "llama3");
  EXPECT_EQ(l3.rope_scaling.original_max_position_embeddings, 8192);
  EXPECT_EQ(l3.num_key_value_heads, 4);  // defaults to the head count
}

TEST(ModelConfigHf, MistralAndBert) {
  const ModelConfig m = parse_hf_config(R"({"architectures": ["MistralForCausalLM"],
    "model_type": "mistral", "hidden_size": 4096, "intermediate_size": 14336,
    "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
    "vocab_size": 32000})");
  EXPECT_EQ(m.architecture, "llama");
  EXPECT_EQ(m.model_type, "mistral");

  const ModelConfig b = parse_hf_config(R"({"architectures": ["BertModel"], "model_type": "bert",
    "hidden_size": 384, "intermediate_size": 1536, "num_hidden_layers": 12,
    "num_attention_heads": 12, "vocab_size": 30522, "layer_norm_eps": 1e-12,
    "max_position_embeddings": 512, "type_vocab_size": 2})");
  EXPECT_EQ(b.architecture, "bert");
  EXPECT_FALSE(b.causal);
  EXPECT_FLOAT_EQ(b.rms_norm_eps, 1e-12f);
  EXPECT_EQ(b.type_vocab_size, 2);
}

TEST(ModelConfigHf, ErrorsNameTheField) {
  auto message = [](const char* json) {
    try {
      parse_hf_config(json);
    } catch (const FormatError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message(R"({"model_type": "llama"})").find("hidden_size"), std::string::npos);
  EXPECT_NE(message(R"({"hidden_size": "64", "intermediate_size": 1, "num_hidden_layers": 1,
    "num_attention_heads": 1, "vocab_size": 1})")
                .find("hidden_size"),
            std::string::npos);
  EXPECT_NE(message(R"({"hidden_size": 64, "intermediate_size": 1, "num_hidden_layers": 1,
    "num_attention_heads": 4, "num_key_value_heads": 3, "vocab_size": 1})")
                .find("multiple"),
            std::string::npos);
  EXPECT_NE(message(R"({"hidden_size": 64, "intermediate_size": 1, "num_hidden_layers": 1,
    "num_attention_heads": 4, "vocab_size": 1, "rope_scaling": 3})")
                .find("rope_scaling"),
            std::string::npos);
  EXPECT_NE(message("{not json").find("invalid JSON"), std::string::npos);
  EXPECT_NE(message("[]").find("not a JSON object"), std::string::npos);
  EXPECT_THROW(read_hf_config("/nonexistent/config.json"), FormatError);
}

TEST(ModelConfigGguf, FromMetadataAndTensorIndex) {
  GgufWriter w;
  w.set_str("general.architecture", "qwen2");
  w.set_u32("qwen2.embedding_length", 64);
  w.set_u32("qwen2.feed_forward_length", 128);
  w.set_u32("qwen2.block_count", 2);
  w.set_u32("qwen2.attention.head_count", 4);
  w.set_u32("qwen2.attention.head_count_kv", 2);
  w.set_u32("qwen2.context_length", 4096);
  w.set_f32("qwen2.rope.freq_base", 1e6f);
  w.set_f32("qwen2.attention.layer_norm_rms_epsilon", 1e-6f);
  w.set_str("qwen2.rope.scaling.type", "linear");
  w.set_f32("qwen2.rope.scaling.factor", 2.0f);
  w.set_arr_str("tokenizer.ggml.tokens", {"a", "b", "c"});
  w.set_u32("tokenizer.ggml.bos_token_id", 0);
  w.set_u32("tokenizer.ggml.eos_token_id", 2);
  w.set_u32("tokenizer.ggml.eot_token_id", 1);
  std::vector<float> bias(64);
  w.add_tensor("blk.0.attn_q.bias", GgmlType::kF32, {64}, bias.data(), 256);
  const auto bytes = w.to_bytes();
  const ModelConfig c = model_config_from_gguf(parse_gguf(bytes.data(), bytes.size()));
  EXPECT_EQ(c.architecture, "qwen2");
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_EQ(c.intermediate_size, 128);
  EXPECT_EQ(c.num_hidden_layers, 2);
  EXPECT_EQ(c.num_attention_heads, 4);
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.max_position_embeddings, 4096);
  EXPECT_EQ(c.rope_theta, 1e6f);
  EXPECT_EQ(c.rope_scaling.type, "linear");
  EXPECT_EQ(c.rope_scaling.factor, 2.0f);
  EXPECT_EQ(c.vocab_size, 3);
  EXPECT_EQ(c.bos_token_id, 0);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{2, 1}));
  EXPECT_TRUE(c.tie_word_embeddings);  // no output.weight
  EXPECT_TRUE(c.attention_bias);
  EXPECT_FALSE(c.qk_norm);
}

TEST(ModelConfigGguf, MissingOrBadKeysFail) {
  GgufWriter w;
  w.set_str("general.architecture", "llama");
  w.set_u32("llama.embedding_length", 64);
  auto bytes = w.to_bytes();
  EXPECT_THROW(model_config_from_gguf(parse_gguf(bytes.data(), bytes.size())), FormatError);
  w.set_u32("llama.feed_forward_length", 128);
  w.set_u32("llama.block_count", 1);
  w.set_u32("llama.attention.head_count", 4);
  w.set_u32("llama.attention.head_count_kv", 3);
  bytes = w.to_bytes();
  EXPECT_THROW(model_config_from_gguf(parse_gguf(bytes.data(), bytes.size())), FormatError);
  w.set_u32("llama.attention.head_count_kv", 4);
  w.set_str("llama.block_count", "1");
  bytes = w.to_bytes();
  EXPECT_THROW(model_config_from_gguf(parse_gguf(bytes.data(), bytes.size())), FormatError);
  GgufWriter none;
  bytes = none.to_bytes();
  EXPECT_THROW(model_config_from_gguf(parse_gguf(bytes.data(), bytes.size())), FormatError);
}
