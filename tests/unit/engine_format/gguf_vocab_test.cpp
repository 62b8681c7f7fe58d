// The real vocabulary-only GGUF files under the shared test data. Expected
// values were read from the files with an independent decoder.
#include <gtest/gtest.h>

#include "engine/format/gguf.h"
#include "engine/format/model_config.h"

using namespace hydra::engine;

namespace {

std::string vocab(const std::string& name) {
  return std::string(HYDRA_TESTDATA_DIR) + "/vocab/ggml-vocab-" + name + ".gguf";
}

struct VocabFacts {
  const char* name;
  const char* model;
  const char* arch;
  size_t n_tokens;
  size_t n_merges;  // 0: no merges key
  const char* last_token;
  const char* middle_token;  // tokens[n_tokens / 2]
  size_t n_control;          // token_type == 3
  size_t n_kv;
};

const VocabFacts kFacts[] = {
    {"bert-bge", "bert", "bert", 30522, 0, "～", "▁amazed", 5, 20},
    {"deepseek-coder", "gpt2", "llama", 32256, 31757, "[PAD32255]", "fony", 2, 25},
    {"deepseek-llm", "gpt2", "llama", 102400, 99757, "[PAD102399]", "Hill", 2, 23},
    {"falcon", "gpt2", "falcon", 65024, 64784, "Ġvictoria", "ĠMX", 12, 18},
    {"gpt-2", "gpt2", "gpt2", 50257, 50000, "<|endoftext|>", "++++++++", 1, 16},
    {"llama-spm", "llama", "llama", 32000, 0, "给", "▁deleg", 2, 22},
    {"phi-3", "llama", "phi3", 32064, 0, "[PAD32063]", "▁Import", 13, 26},
    {"starcoder", "gpt2", "starcoder2", 49152, 48872, "sdb", "bower", 38, 19},
};

}  // namespace

TEST(GgufVocab, RealFilesParseWithExpectedContents) {
  for (const auto& want : kFacts) {
    SCOPED_TRACE(want.name);
    const GgufFile f = read_gguf(vocab(want.name));
    EXPECT_EQ(f.version, 3u);
    EXPECT_EQ(f.metadata.size(), want.n_kv);
    EXPECT_TRUE(f.tensors.empty());
    EXPECT_EQ(f.get_str("tokenizer.ggml.model"), want.model);
    EXPECT_EQ(f.architecture(), want.arch);
    const auto& tokens = f.get_arr_str("tokenizer.ggml.tokens");
    ASSERT_EQ(tokens.size(), want.n_tokens);
    EXPECT_EQ(tokens.back(), want.last_token);
    EXPECT_EQ(tokens[tokens.size() / 2], want.middle_token);
    const auto types = f.get_arr_i32("tokenizer.ggml.token_type");
    ASSERT_EQ(types.size(), tokens.size());
    size_t control = 0;
    for (int32_t t : types) control += t == 3;
    EXPECT_EQ(control, want.n_control);
    if (want.n_merges > 0) {
      EXPECT_EQ(f.get_arr_str("tokenizer.ggml.merges").size(), want.n_merges);
    } else {
      EXPECT_FALSE(f.has("tokenizer.ggml.merges"));
    }
    if (f.has("tokenizer.ggml.scores")) {
      EXPECT_EQ(f.get_arr_f32("tokenizer.ggml.scores").size(), tokens.size());
    }
  }
}

TEST(GgufVocab, SpecificValues) {
  const GgufFile spm = read_gguf(vocab("llama-spm"));
  const auto& tokens = spm.get_arr_str("tokenizer.ggml.tokens");
  EXPECT_EQ(tokens[0], "<unk>");
  EXPECT_EQ(tokens[1], "<s>");
  EXPECT_EQ(tokens[2], "</s>");
  const auto scores = spm.get_arr_f32("tokenizer.ggml.scores");
  EXPECT_EQ(scores[1000], -741.0f);
  EXPECT_EQ(scores.back(), -31740.0f);
  EXPECT_EQ(spm.get_u32("tokenizer.ggml.bos_token_id"), 1u);
  EXPECT_EQ(spm.get_u32("tokenizer.ggml.eos_token_id"), 2u);
  EXPECT_TRUE(spm.get_bool("tokenizer.ggml.add_bos_token"));
  EXPECT_FALSE(spm.get_bool("tokenizer.ggml.add_eos_token"));

  const GgufFile gpt2 = read_gguf(vocab("gpt-2"));
  EXPECT_EQ(gpt2.get_arr_str("tokenizer.ggml.merges")[0], "Ġ t");
  EXPECT_EQ(gpt2.get_str("tokenizer.ggml.pre"), "gpt-2");

  const GgufFile bert = read_gguf(vocab("bert-bge"));
  EXPECT_EQ(bert.get_u32("tokenizer.ggml.seperator_token_id"), 102u);
  EXPECT_FALSE(bert.get_bool("bert.attention.causal"));
  EXPECT_NEAR(bert.get_f32("bert.attention.layer_norm_epsilon"), 1e-12f, 1e-18f);

  const GgufFile phi3 = read_gguf(vocab("phi-3"));
  const std::string& tmpl = phi3.get_str("tokenizer.chat_template");
  EXPECT_EQ(tmpl.rfind("{{ bos_token }}", 0), 0u);
  EXPECT_NE(tmpl.find("<|assistant|>"), std::string::npos);
}

TEST(GgufVocab, ModelConfigFromRealMetadata) {
  const ModelConfig coder = model_config_from_gguf(read_gguf(vocab("deepseek-coder")));
  EXPECT_EQ(coder.architecture, "llama");
  EXPECT_EQ(coder.hidden_size, 4096);
  EXPECT_EQ(coder.intermediate_size, 11008);
  EXPECT_EQ(coder.num_hidden_layers, 32);
  EXPECT_EQ(coder.num_attention_heads, 32);
  EXPECT_EQ(coder.num_key_value_heads, 32);
  EXPECT_EQ(coder.head_dim, 128);
  EXPECT_EQ(coder.rope_theta, 100000.0f);
  EXPECT_EQ(coder.rope_scaling.type, "linear");
  EXPECT_EQ(coder.rope_scaling.factor, 4.0f);
  EXPECT_EQ(coder.max_position_embeddings, 16384);
  EXPECT_EQ(coder.vocab_size, 32256);
  EXPECT_EQ(coder.bos_token_id, 32013);
  EXPECT_EQ(coder.eos_token_ids, (std::vector<int64_t>{32014}));
  EXPECT_NEAR(coder.rms_norm_eps, 1e-6f, 1e-12f);

  const ModelConfig star = model_config_from_gguf(read_gguf(vocab("starcoder")));
  EXPECT_EQ(star.num_key_value_heads, 2);
  EXPECT_EQ(star.vocab_size, 49152);  // from the token list: no vocab_size key
  EXPECT_TRUE(star.rope_scaling.type.empty());
  EXPECT_EQ(star.rope_scaling.factor, 1.0f);

  const ModelConfig bert = model_config_from_gguf(read_gguf(vocab("bert-bge")));
  EXPECT_FALSE(bert.causal);
  EXPECT_EQ(bert.hidden_size, 384);
  EXPECT_EQ(bert.type_vocab_size, 2);
  EXPECT_EQ(bert.bos_token_id, -1);
}
