// A small deterministic fuzz pass that runs with the unit tests (and under
// the sanitizers in CI): mutated valid files must parse or throw
// FormatError, never crash or read out of bounds.
#include <gtest/gtest.h>

#include <random>

#include "engine/format/format_error.h"
#include "engine/format/gguf.h"
#include "engine/format/gguf_writer.h"
#include "engine/format/model_config.h"
#include "engine/format/quant.h"
#include "engine/format/safetensors.h"
#include "engine/format/safetensors_writer.h"

using namespace hydra::engine;

namespace {

std::vector<uint8_t> mutate(const std::vector<uint8_t>& in, std::mt19937& rng) {
  std::vector<uint8_t> b = in;
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !b.empty(); ++e) {
    const size_t at = rng() % b.size();
    switch (rng() % 4) {
      case 0:
        b[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
        break;
      case 1:
        b[at] = static_cast<uint8_t>(rng());
        break;
      case 2:
        b[at] = 0xFF;
        break;
      default:
        b.resize(at);
        break;
    }
  }
  return b;
}

template <class Parse>
int run_mutations(const std::vector<uint8_t>& seed, Parse parse) {
  std::mt19937 rng(1234);
  int parsed = 0;
  for (int k = 0; k < 3000; ++k) {
    const auto b = mutate(seed, rng);
    try {
      parse(b);
      ++parsed;
    } catch (const FormatError&) {
    }
  }
  return parsed;
}

}  // namespace

TEST(Mutation, GgufNeverCrashes) {
  GgufWriter w;
  w.set_str("general.architecture", "llama");
  w.set_u32("llama.embedding_length", 32);
  w.set_u32("llama.feed_forward_length", 64);
  w.set_u32("llama.block_count", 1);
  w.set_u32("llama.attention.head_count", 4);
  w.set_arr_str("tokenizer.ggml.tokens", {"a", "bb", "ccc"});
  w.set_arr_f32("tokenizer.ggml.scores", {0, -1, -2});
  w.set("nested", GgufValue::of_arr_nested({GgufValue::of_arr_i32({1, 2})}));
  std::vector<float> x(32, 0.5f);
  w.add_tensor("token_embd.weight", GgmlType::kF32, {32}, x.data(), 128);
  std::vector<uint8_t> q(row_size(GgmlType::kQ8_0, 32));
  quantize_row(GgmlType::kQ8_0, x.data(), q.data(), 32);
  w.add_tensor("output.weight", GgmlType::kQ8_0, {32}, q.data(), q.size());
  const int parsed = run_mutations(w.to_bytes(), [](const std::vector<uint8_t>& b) {
    const GgufFile f = parse_gguf(b.data(), b.size());
    for (const auto& t : f.tensors) {
      if (type_info(t.type).computable) tensor_to_f32(t);
    }
    try {
      model_config_from_gguf(f);
    } catch (const FormatError&) {
    }
  });
  EXPECT_GT(parsed, 0);  // some mutations (in tensor data) stay valid
}

TEST(Mutation, SafetensorsNeverCrashes) {
  SafetensorsWriter w;
  w.set_metadata("format", "pt");
  w.add_f32("a", {2, 2}, {1, 2, 3, 4});
  w.add_f32("b", {3}, {5, 6, 7});
  const int parsed = run_mutations(w.to_bytes(), [](const std::vector<uint8_t>& b) {
    const SafetensorsFile f = parse_safetensors(b.data(), b.size());
    for (const auto& t : f.tensors) {
      if (t.dtype == StDtype::kF32 || t.dtype == StDtype::kF16 || t.dtype == StDtype::kBF16) {
        tensor_to_f32(t);
      }
    }
  });
  EXPECT_GT(parsed, 0);
}
