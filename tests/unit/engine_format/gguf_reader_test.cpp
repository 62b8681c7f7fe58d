#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "engine/format/format_error.h"
#include "engine/format/gguf.h"
#include "gguf_bytes.h"

using namespace hydra::engine;
using hydra::engine::test::GgufBytes;

namespace {

// A file with one key of every type, arrays of numbers, strings and arrays,
// and two tensors (F32 2x3, Q8_0 32).
std::vector<uint8_t> sample_file() {
  GgufBytes g;
  g.header(2, 17);
  g.key("u8", 0).put<uint8_t>(200);
  g.key("i8", 1).put<int8_t>(-100);
  g.key("u16", 2).put<uint16_t>(60000);
  g.key("i16", 3).put<int16_t>(-30000);
  g.key("u32", 4).put<uint32_t>(4000000000u);
  g.key("i32", 5).put<int32_t>(-2000000000);
  g.key("f32", 6).put<float>(1.5f);
  g.key("bool", 7).put<uint8_t>(1);
  g.key("general.architecture", 8).str("llama");
  g.key("u64", 10).put<uint64_t>(uint64_t{1} << 40);
  g.key("i64", 11).put<int64_t>(-(int64_t{1} << 40));
  g.key("f64", 12).put<double>(0.1);
  g.key("arr.f32", 9)
      .put<uint32_t>(6)
      .put<uint64_t>(3)
      .put<float>(0.5f)
      .put<float>(-1.0f)
      .put<float>(2.0f);
  g.key("arr.i32", 9).put<uint32_t>(5).put<uint64_t>(2).put<int32_t>(-7).put<int32_t>(9);
  g.key("arr.str", 9).put<uint32_t>(8).put<uint64_t>(3).str("a").str("").str("héllo");
  g.key("arr.nested", 9).put<uint32_t>(9).put<uint64_t>(2);
  g.put<uint32_t>(4).put<uint64_t>(2).put<uint32_t>(1).put<uint32_t>(2);  // [1, 2] uint32
  g.put<uint32_t>(8).put<uint64_t>(1).str("x");                           // ["x"]
  g.key("general.alignment", 4).put<uint32_t>(64);
  g.tensor("w", {3, 2}, 0, 0);
  g.tensor("q", {32}, 8, 64);
  g.pad(64);
  for (int i = 0; i < 6; ++i) g.put<float>(static_cast<float>(i));
  g.pad(64);
  g.put<uint16_t>(0x3C00);  // Q8_0 d = 1.0
  for (int i = 0; i < 32; ++i) g.put<int8_t>(static_cast<int8_t>(i - 16));
  return g.b;
}

void expect_rejected(const std::vector<uint8_t>& bytes, const std::string& fragment) {
  try {
    parse_gguf(bytes.data(), bytes.size());
    FAIL() << "accepted; expected error containing '" << fragment << "'";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(GgufReader, ReadsEveryValueType) {
  const auto bytes = sample_file();
  const GgufFile f = parse_gguf(bytes.data(), bytes.size());
  EXPECT_EQ(f.version, 3u);
  EXPECT_EQ(f.metadata.size(), 17u);
  EXPECT_EQ(f.get_u32("u8"), 200u);
  EXPECT_EQ(f.get_i32("i8"), -100);
  EXPECT_EQ(f.get_u32("u16"), 60000u);
  EXPECT_EQ(f.get_i32("i16"), -30000);
  EXPECT_EQ(f.get_u32("u32"), 4000000000u);
  EXPECT_EQ(f.get_i32("i32"), -2000000000);
  EXPECT_EQ(f.get_f32("f32"), 1.5f);
  EXPECT_TRUE(f.get_bool("bool"));
  EXPECT_EQ(f.get_str("general.architecture"), "llama");
  EXPECT_EQ(f.architecture(), "llama");
  EXPECT_EQ(f.get_u64("u64"), uint64_t{1} << 40);
  EXPECT_EQ(f.get_i64("i64"), -(int64_t{1} << 40));
  EXPECT_EQ(f.get_f64("f64"), 0.1);
  EXPECT_EQ(f.get_arr_f32("arr.f32"), (std::vector<float>{0.5f, -1.0f, 2.0f}));
  EXPECT_EQ(f.get_arr_i32("arr.i32"), (std::vector<int32_t>{-7, 9}));
  EXPECT_EQ(f.get_arr_str("arr.str"), (std::vector<std::string>{"a", "", "héllo"}));
  EXPECT_EQ(f.get_arr_size("arr.str"), 3u);
  const GgufValue* nested = f.find("arr.nested");
  ASSERT_NE(nested, nullptr);
  ASSERT_EQ(nested->items.size(), 2u);
  EXPECT_EQ(nested->items[0].elem_type, GgufType::kUint32);
  EXPECT_EQ(nested->items[0].int_at(1), 2);
  EXPECT_EQ(nested->items[1].strs, (std::vector<std::string>{"x"}));
}

TEST(GgufReader, ReadsTensorIndexAndData) {
  const auto bytes = sample_file();
  const GgufFile f = parse_gguf(bytes.data(), bytes.size());
  EXPECT_EQ(f.alignment, 64u);
  EXPECT_EQ(f.data_offset % 64, 0u);
  ASSERT_EQ(f.tensors.size(), 2u);
  const GgufTensor* w = f.find_tensor("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->n_dims, 2u);
  EXPECT_EQ(w->ne[0], 3);
  EXPECT_EQ(w->ne[1], 2);
  EXPECT_EQ(w->n_elements(), 6);
  EXPECT_EQ(w->nbytes, 24u);
  EXPECT_EQ(w->data, bytes.data() + f.data_offset);
  float v[6];
  std::memcpy(v, w->data, sizeof v);
  EXPECT_EQ(v[5], 5.0f);
  const GgufTensor* q = f.find_tensor("q");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->type, GgmlType::kQ8_0);
  EXPECT_EQ(q->offset, 64u);
  EXPECT_EQ(q->nbytes, 34u);
  EXPECT_EQ(static_cast<int8_t>(q->data[2]), -16);
  EXPECT_EQ(f.find_tensor("missing"), nullptr);
}

TEST(GgufReader, AccessorsNameTheKeyOnWrongTypeOrMissing) {
  const auto bytes = sample_file();
  const GgufFile f = parse_gguf(bytes.data(), bytes.size());
  EXPECT_THROW(f.get_u32("i8"), FormatError);   // negative into unsigned
  EXPECT_THROW(f.get_i32("u32"), FormatError);  // 4e9 does not fit int32
  EXPECT_THROW(f.get_u32("f32"), FormatError);
  EXPECT_THROW(f.get_str("u8"), FormatError);
  EXPECT_THROW(f.get_arr_str("arr.f32"), FormatError);
  EXPECT_THROW(f.get_arr_i32("arr.f32"), FormatError);
  EXPECT_EQ(f.get_u32("nope", 7u), 7u);
  EXPECT_EQ(f.get_str("nope", "dflt"), "dflt");
  EXPECT_FALSE(f.get_bool("nope", false));
  EXPECT_EQ(f.get_u64("u8"), 200u);  // widening is fine
  EXPECT_EQ(f.get_f64("f32"), 1.5);
  try {
    f.get_u32("tokenizer.ggml.bos_token_id");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.ggml.bos_token_id"), std::string::npos);
  }
  try {
    f.get_str("u16");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("'u16' is uint16"), std::string::npos) << e.what();
  }
}

TEST(GgufReader, AcceptsVersion2AndDefaultAlignment) {
  GgufBytes g;
  g.header(1, 1, 2);
  g.key("general.architecture", 8).str("qwen2");
  g.tensor("t", {4}, 1, 0);  // F16
  g.pad(32);
  for (int i = 0; i < 4; ++i) g.put<uint16_t>(0x3C00);
  const GgufFile f = parse_gguf(g.b.data(), g.b.size());
  EXPECT_EQ(f.version, 2u);
  EXPECT_EQ(f.alignment, 32u);
  EXPECT_EQ(f.data_offset % 32, 0u);
  EXPECT_EQ(f.tensors[0].nbytes, 8u);
}

TEST(GgufReader, EveryTruncationIsACleanError) {
  const auto bytes = sample_file();
  // Every strict prefix that cuts into the header or tensor data must fail.
  size_t accepted = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(n));
    try {
      parse_gguf(cut.data(), cut.size());
      ++accepted;
    } catch (const FormatError&) {
    }
  }
  EXPECT_EQ(accepted, 0u);
}

TEST(GgufReader, RejectsMalformedHeaders) {
  {
    auto b = sample_file();
    b[0] = 'X';
    expect_rejected(b, "bad magic");
  }
  {
    GgufBytes g;
    g.header(0, 0, 1);
    expect_rejected(g.b, "version 1");
  }
  {
    GgufBytes g;
    g.header(0, 0, 0x03000000u);
    expect_rejected(g.b, "big-endian");
  }
  {
    GgufBytes g;
    g.header(0, 0, 4);
    expect_rejected(g.b, "unknown GGUF version");
  }
  {
    GgufBytes g;
    g.header(0, 1).key("k", 13).put<uint32_t>(0);
    expect_rejected(g.b, "unknown type 13");
  }
  {
    GgufBytes g;
    g.header(0, 2).key("k", 4).put<uint32_t>(1).key("k", 4).put<uint32_t>(2);
    expect_rejected(g.b, "duplicate metadata key");
  }
  {
    GgufBytes g;
    g.header(0, 1).key("b", 7).put<uint8_t>(2);
    expect_rejected(g.b, "bool value 2");
  }
  {
    GgufBytes g;
    g.header(0, 1).key("", 4).put<uint32_t>(1);
    expect_rejected(g.b, "empty metadata key");
  }
}

TEST(GgufReader, HostileCountsFailFastWithoutAllocating) {
  const auto start = std::chrono::steady_clock::now();
  {
    GgufBytes g;
    g.header(0, uint64_t{1} << 62);
    expect_rejected(g.b, "metadata count");
  }
  {
    GgufBytes g;
    g.header(uint64_t{1} << 62, 0);
    expect_rejected(g.b, "tensor count");
  }
  {
    GgufBytes g;
    g.header(0, 1).key("a", 9).put<uint32_t>(8).put<uint64_t>(uint64_t{1} << 61);
    expect_rejected(g.b, "exceeds the file");
  }
  {
    GgufBytes g;
    g.header(0, 1).key("a", 9).put<uint32_t>(12).put<uint64_t>(~uint64_t{0});
    expect_rejected(g.b, "exceeds the file");
  }
  {
    GgufBytes g;
    g.header(0, 1).key("s", 8).put<uint64_t>(~uint64_t{0});
    expect_rejected(g.b, "truncated string");
  }
  {
    GgufBytes g;  // a key whose length is absurd
    g.header(0, 1).put<uint64_t>(uint64_t{1} << 63).put<uint64_t>(0).put<uint64_t>(0);
    expect_rejected(g.b, "truncated metadata key");
  }
  {
    GgufBytes g;  // arrays nested far deeper than any real file
    g.header(0, 1).key("deep", 9);
    for (int d = 0; d < 100; ++d) g.put<uint32_t>(9).put<uint64_t>(1);
    g.put<uint32_t>(0).put<uint64_t>(0);
    expect_rejected(g.b, "nests arrays too deeply");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(GgufReader, RejectsBadTensors) {
  auto one_tensor = [](std::vector<uint64_t> ne, uint32_t type, uint64_t offset,
                       size_t data_bytes) {
    GgufBytes g;
    g.header(1, 0).tensor("t", std::move(ne), type, offset).pad(32);
    g.b.resize(g.b.size() + data_bytes);
    return g.b;
  };
  expect_rejected(one_tensor({4, 1, 1, 1, 1}, 0, 0, 16), "5 dimensions");
  expect_rejected(one_tensor({4}, 4, 0, 16), "unknown ggml type 4");
  expect_rejected(one_tensor({4}, 999, 0, 16), "unknown ggml type 999");
  expect_rejected(one_tensor({33}, 8, 0, 64), "block size");
  expect_rejected(one_tensor({4}, 0, 0, 15), "beyond the end");
  expect_rejected(one_tensor({4}, 0, 32, 40), "beyond the end");
  expect_rejected(one_tensor({4}, 0, 4, 40), "not aligned");
  expect_rejected(one_tensor({~uint64_t{0}}, 0, 0, 0), "negative dimension");
  expect_rejected(one_tensor({uint64_t{1} << 40, uint64_t{1} << 40}, 0, 0, 0), "too many elements");
  expect_rejected(one_tensor({uint64_t{1} << 61}, 0, 0, 0), "too large");
  {
    GgufBytes g;
    g.header(2, 0).tensor("t", {4}, 0, 0).tensor("t", {4}, 0, 32).pad(32);
    g.b.resize(g.b.size() + 64);
    expect_rejected(g.b, "duplicate tensor name");
  }
  {
    GgufBytes g;
    g.header(0, 1).key("general.alignment", 4).put<uint32_t>(48);
    expect_rejected(g.b, "not a power of two");
  }
  {
    GgufBytes g;
    g.header(0, 1).key("general.alignment", 8).str("32");
    expect_rejected(g.b, "must be uint32");
  }
}

TEST(GgufReader, VocabOnlyFileNeedsNoDataSection) {
  GgufBytes g;
  g.header(0, 1).key("tokenizer.ggml.model", 8).str("gpt2");
  const GgufFile f = parse_gguf(g.b.data(), g.b.size());
  EXPECT_EQ(f.data_size, 0u);
  EXPECT_TRUE(f.tensors.empty());
}

TEST(GgufReader, MissingFileIsAFormatError) {
  EXPECT_THROW(read_gguf("/nonexistent/dir/model.gguf"), FormatError);
  EXPECT_THROW(read_gguf("/"), FormatError);  // a directory
}
