#include "engine/format/gguf_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "engine/format/format_error.h"
#include "engine/format/gguf.h"
#include "engine/format/quant.h"
#include "temp_dir.h"

using namespace hydra::engine;

namespace {

GgufWriter every_type_writer() {
  GgufWriter w;
  w.set("u8", GgufValue::of_u8(255));
  w.set("i8", GgufValue::of_i8(-128));
  w.set("u16", GgufValue::of_u16(65535));
  w.set("i16", GgufValue::of_i16(-32768));
  w.set_u32("u32", 0xFFFFFFFFu);
  w.set_i32("i32", INT32_MIN);
  w.set_u64("u64", ~uint64_t{0});
  w.set("i64", GgufValue::of_i64(INT64_MIN));
  w.set_f32("f32", -0.25f);
  w.set("f64", GgufValue::of_f64(1e300));
  w.set_bool("yes", true);
  w.set_bool("no", false);
  w.set_str("general.architecture", "qwen2");
  w.set_str("empty", "");
  w.set_arr_str("tokens", {"<s>", "</s>", "▁hello", ""});
  w.set_arr_f32("scores", {0.0f, -1.5f, 3.25f, -1000.0f});
  w.set_arr_i32("types", {1, 3, 1, 6});
  w.set("bools", GgufValue::of_arr_raw(GgufType::kBool, {1, 0, 1}));
  w.set("u64s", GgufValue::of_arr_raw(GgufType::kUint64, std::vector<uint8_t>(16, 0xAB)));
  w.set("nested",
        GgufValue::of_arr_nested({GgufValue::of_arr_str({"a", "b"}), GgufValue::of_arr_i32({}),
                                  GgufValue::of_arr_nested({GgufValue::of_arr_f32({1.0f})})}));
  return w;
}

}  // namespace

TEST(GgufWriter, MetadataOfEveryTypeRoundTrips) {
  const auto bytes = every_type_writer().to_bytes();
  const GgufFile f = parse_gguf(bytes.data(), bytes.size());
  EXPECT_EQ(f.version, 3u);
  EXPECT_EQ(f.metadata.size(), 20u);
  EXPECT_EQ(f.find("u8")->type, GgufType::kUint8);
  EXPECT_EQ(f.get_u32("u8"), 255u);
  EXPECT_EQ(f.find("i8")->type, GgufType::kInt8);
  EXPECT_EQ(f.get_i32("i8"), -128);
  EXPECT_EQ(f.get_u32("u16"), 65535u);
  EXPECT_EQ(f.get_i32("i16"), -32768);
  EXPECT_EQ(f.get_u32("u32"), 0xFFFFFFFFu);
  EXPECT_EQ(f.get_i32("i32"), INT32_MIN);
  EXPECT_EQ(f.get_u64("u64"), ~uint64_t{0});
  EXPECT_EQ(f.get_i64("i64"), INT64_MIN);
  EXPECT_EQ(f.find("f32")->type, GgufType::kFloat32);
  EXPECT_EQ(f.get_f32("f32"), -0.25f);
  EXPECT_EQ(f.find("f64")->type, GgufType::kFloat64);
  EXPECT_EQ(f.get_f64("f64"), 1e300);
  EXPECT_TRUE(f.get_bool("yes"));
  EXPECT_FALSE(f.get_bool("no"));
  EXPECT_EQ(f.get_str("general.architecture"), "qwen2");
  EXPECT_EQ(f.get_str("empty"), "");
  EXPECT_EQ(f.get_arr_str("tokens"), (std::vector<std::string>{"<s>", "</s>", "▁hello", ""}));
  EXPECT_EQ(f.get_arr_f32("scores"), (std::vector<float>{0.0f, -1.5f, 3.25f, -1000.0f}));
  EXPECT_EQ(f.get_arr_i32("types"), (std::vector<int32_t>{1, 3, 1, 6}));
  EXPECT_EQ(f.find("bools")->raw, (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_EQ(f.find("u64s")->size(), 2u);
  const GgufValue& nested = *f.find("nested");
  ASSERT_EQ(nested.items.size(), 3u);
  EXPECT_EQ(nested.items[0].strs, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(nested.items[1].elem_type, GgufType::kInt32);
  EXPECT_EQ(nested.items[1].size(), 0u);
  ASSERT_EQ(nested.items[2].items.size(), 1u);
  EXPECT_EQ(nested.items[2].items[0].number_at(0), 1.0);
}

TEST(GgufWriter, RewritingWhatItReadGivesTheSameBytes) {
  const auto bytes = every_type_writer().to_bytes();
  const GgufFile f = parse_gguf(bytes.data(), bytes.size());
  // Re-emit in the original order from the parsed values.
  GgufWriter again;
  for (const char* key : {"u8",
                          "i8",
                          "u16",
                          "i16",
                          "u32",
                          "i32",
                          "u64",
                          "i64",
                          "f32",
                          "f64",
                          "yes",
                          "no",
                          "general.architecture",
                          "empty",
                          "tokens",
                          "scores",
                          "types",
                          "bools",
                          "u64s",
                          "nested"}) {
    again.set(key, *f.find(key));
  }
  EXPECT_EQ(again.to_bytes(), bytes);
}

TEST(GgufWriter, TensorsAreAlignedAndIntact) {
  for (uint32_t alignment : {32u, 64u, 256u}) {
    GgufWriter w;
    w.set_str("general.architecture", "llama");
    if (alignment != 32) w.set_alignment(alignment);
    std::vector<float> a(10 * 3);
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i) * 0.5f;
    std::vector<float> src(2 * 256);
    for (size_t i = 0; i < src.size(); ++i) src[i] = std::sin(static_cast<float>(i));
    std::vector<uint8_t> q(2 * row_size(GgmlType::kQ4_K, 256));
    for (int r = 0; r < 2; ++r) {
      quantize_row(GgmlType::kQ4_K, src.data() + 256 * r,
                   q.data() + r * row_size(GgmlType::kQ4_K, 256), 256);
    }
    w.add_tensor("a", GgmlType::kF32, {10, 3}, a.data(), a.size() * 4);
    w.add_tensor("b.weight", GgmlType::kQ4_K, {256, 2}, q.data(), q.size());
    w.add_tensor("c", GgmlType::kF16, {1}, "\x00\x3c", 2);
    const auto bytes = w.to_bytes();
    const GgufFile f = parse_gguf(bytes.data(), bytes.size());
    ASSERT_EQ(f.tensors.size(), 3u);
    EXPECT_EQ(f.alignment, alignment);
    EXPECT_EQ(f.data_offset % alignment, 0u);
    for (const auto& t : f.tensors) EXPECT_EQ(t.offset % alignment, 0u) << t.name;
    const GgufTensor* ta = f.find_tensor("a");
    EXPECT_EQ(ta->ne[0], 10);
    EXPECT_EQ(ta->ne[1], 3);
    EXPECT_EQ(std::memcmp(ta->data, a.data(), a.size() * 4), 0);
    const GgufTensor* tb = f.find_tensor("b.weight");
    EXPECT_EQ(tb->type, GgmlType::kQ4_K);
    EXPECT_EQ(tb->n_rows(), 2);
    EXPECT_EQ(std::memcmp(tb->data, q.data(), q.size()), 0);
    EXPECT_EQ(fp16_to_fp32(static_cast<uint16_t>(f.find_tensor("c")->data[0] |
                                                 f.find_tensor("c")->data[1] << 8)),
              1.0f);
  }
}

TEST(GgufWriter, QuantizedTensorDequantizesFromTheFile) {
  std::vector<float> src(3 * 64);
  for (size_t i = 0; i < src.size(); ++i) src[i] = std::cos(0.1f * static_cast<float>(i));
  const size_t stride = row_size(GgmlType::kQ8_0, 64);
  std::vector<uint8_t> q(3 * stride);
  std::vector<float> want(src.size());
  for (int r = 0; r < 3; ++r) {
    quantize_row(GgmlType::kQ8_0, src.data() + 64 * r, q.data() + r * stride, 64);
    dequantize_row(GgmlType::kQ8_0, q.data() + r * stride, want.data() + 64 * r, 64);
  }
  GgufWriter w;
  w.add_tensor("m", GgmlType::kQ8_0, {64, 3}, q.data(), q.size());
  w.add_tensor("odd", GgmlType::kQ2_K, {256}, std::vector<uint8_t>(84).data(), 84);
  const auto bytes = w.to_bytes();
  const GgufFile f = parse_gguf(bytes.data(), bytes.size());
  EXPECT_EQ(tensor_to_f32(*f.find_tensor("m")), want);
  EXPECT_THROW(tensor_to_f32(*f.find_tensor("odd")), FormatError);
}

TEST(GgufWriter, FileRoundTripThroughMmap) {
  hydra::engine::test::TempDir dir;
  GgufWriter w = every_type_writer();
  std::vector<float> a = {1, 2, 3, 4};
  w.add_tensor("t", GgmlType::kF32, {4}, a.data(), 16);
  const std::string path = dir.file("m.gguf");
  w.write_file(path);
  GgufFile f = read_gguf(path);
  ASSERT_NE(f.mapping, nullptr);
  EXPECT_EQ(f.get_arr_str("tokens").size(), 4u);
  float v[4];
  std::memcpy(v, f.find_tensor("t")->data, 16);
  EXPECT_EQ(v[3], 4.0f);
  // The mapping travels with the GgufFile it was moved into.
  GgufFile moved = std::move(f);
  std::memcpy(v, moved.find_tensor("t")->data, 16);
  EXPECT_EQ(v[0], 1.0f);
}

TEST(GgufWriter, RejectsInconsistentInput) {
  GgufWriter w;
  float x[8] = {};
  EXPECT_THROW(w.add_tensor("t", GgmlType::kF32, {8}, x, 16), FormatError);  // wrong byte count
  EXPECT_THROW(w.add_tensor("t", GgmlType::kQ8_0, {8}, x, 8), FormatError);  // not a block multiple
  EXPECT_THROW(w.add_tensor("t", GgmlType::kF32, {}, x, 0), FormatError);
  w.add_tensor("t", GgmlType::kF32, {8}, x, 32);
  EXPECT_THROW(w.add_tensor("t", GgmlType::kF32, {8}, x, 32), FormatError);  // duplicate
  EXPECT_THROW(w.set_alignment(24), FormatError);
  EXPECT_THROW(w.set("", GgufValue::of_u8(1)), FormatError);
  // Setting a key twice keeps one entry with the last value.
  w.set_u32("k", 1);
  w.set_u32("k", 2);
  const auto bytes = w.to_bytes();
  const GgufFile f = parse_gguf(bytes.data(), bytes.size());
  EXPECT_EQ(f.metadata.size(), 1u);
  EXPECT_EQ(f.get_u32("k"), 2u);
}
