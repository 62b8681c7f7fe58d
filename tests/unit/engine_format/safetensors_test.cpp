#include "engine/format/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "engine/format/format_error.h"
#include "engine/format/ggml_types.h"
#include "engine/format/safetensors_writer.h"
#include "temp_dir.h"

using namespace hydra::engine;
using hydra::engine::test::TempDir;

namespace {

// A safetensors file from a hand-written header, independent of the writer.
std::vector<uint8_t> hand_file(const std::string& header, size_t data_bytes, uint8_t fill = 0) {
  std::vector<uint8_t> b(8);
  const uint64_t n = header.size();
  std::memcpy(b.data(), &n, 8);
  b.insert(b.end(), header.begin(), header.end());
  b.insert(b.end(), data_bytes, fill);
  return b;
}

void expect_rejected(const std::vector<uint8_t>& bytes, const std::string& fragment) {
  try {
    parse_safetensors(bytes.data(), bytes.size());
    FAIL() << "accepted; expected error containing '" << fragment << "'";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

TEST(Safetensors, ParsesHandWrittenHeader) {
  const std::string header = R"({"__metadata__":{"format":"pt"},)"
                             R"("b":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},)"
                             R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("ids":{"dtype":"I64","shape":[1,1],"data_offsets":[12,20]},)"
                             R"("bf":{"dtype":"BF16","shape":[],"data_offsets":[20,22]}})";
  auto bytes = hand_file(header, 22);
  uint8_t* data = bytes.data() + 8 + header.size();
  const float a[2] = {1.5f, -2.0f};
  std::memcpy(data, a, 8);
  const uint16_t h[2] = {0x3C00, 0xC000};  // 1.0, -2.0
  std::memcpy(data + 8, h, 4);
  const int64_t id = 42;
  std::memcpy(data + 12, &id, 8);
  const uint16_t bf = 0x4049;  // 3.140625
  std::memcpy(data + 20, &bf, 2);

  const SafetensorsFile f = parse_safetensors(bytes.data(), bytes.size());
  EXPECT_EQ(f.metadata.at("format"), "pt");
  ASSERT_EQ(f.tensors.size(), 4u);
  EXPECT_EQ(f.tensors[0].name, "a");  // data order
  const SafetensorsTensor* ta = f.find("a");
  ASSERT_NE(ta, nullptr);
  EXPECT_EQ(ta->dtype, StDtype::kF32);
  EXPECT_EQ(tensor_to_f32(*ta), (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(tensor_to_f32(*f.find("b")), (std::vector<float>{1.0f, -2.0f}));
  const SafetensorsTensor* tids = f.find("ids");
  EXPECT_EQ(tids->dtype, StDtype::kI64);
  EXPECT_EQ(tids->shape, (std::vector<int64_t>{1, 1}));
  int64_t got;
  std::memcpy(&got, tids->data, 8);
  EXPECT_EQ(got, 42);
  EXPECT_THROW(tensor_to_f32(*tids), FormatError);
  const SafetensorsTensor* tbf = f.find("bf");
  EXPECT_EQ(tbf->n_elements(), 1);  // a scalar
  EXPECT_EQ(tensor_to_f32(*tbf)[0], 3.140625f);
  EXPECT_EQ(f.find("nope"), nullptr);
}

TEST(Safetensors, WriterRoundTrip) {
  SafetensorsWriter w;
  w.set_metadata("format", "pt");
  std::vector<float> emb(4 * 3);
  for (size_t i = 0; i < emb.size(); ++i) emb[i] = static_cast<float>(i) - 5.0f;
  w.add_f32("model.embed_tokens.weight", {4, 3}, emb);
  std::vector<uint16_t> half = {fp32_to_bf16(0.5f), fp32_to_bf16(-0.25f)};
  w.add_tensor("model.norm.weight", StDtype::kBF16, {2}, half.data(), 4);
  const uint8_t small[3] = {1, 2, 3};
  w.add_tensor("u8", StDtype::kU8, {3}, small, 3);
  const auto bytes = w.to_bytes();
  uint64_t header_len;
  std::memcpy(&header_len, bytes.data(), 8);
  EXPECT_EQ((8 + header_len) % 8, 0u);  // data starts 8-byte aligned

  const SafetensorsFile f = parse_safetensors(bytes.data(), bytes.size());
  EXPECT_EQ(f.metadata.at("format"), "pt");
  EXPECT_EQ(tensor_to_f32(*f.find("model.embed_tokens.weight")), emb);
  EXPECT_EQ(f.find("model.embed_tokens.weight")->shape, (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(tensor_to_f32(*f.find("model.norm.weight")), (std::vector<float>{0.5f, -0.25f}));
  EXPECT_EQ(f.find("u8")->data[2], 3);

  EXPECT_THROW(w.add_f32("bad", {5}, emb), FormatError);  // 12 values for shape [5]
  EXPECT_THROW(w.add_f32("u8", {3}, {1, 2, 3}), FormatError);
}

TEST(Safetensors, SingleFileDirectory) {
  TempDir dir;
  SafetensorsWriter w;
  w.add_f32("x", {2}, {1.0f, 2.0f});
  w.write_file(dir.file("model.safetensors"));
  const SafetensorsModel m = read_safetensors_dir(dir.path());
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(tensor_to_f32(*m.find("x"))[1], 2.0f);
}

TEST(Safetensors, ShardedDirectory) {
  TempDir dir;
  SafetensorsWriter w;
  for (int k = 0; k < 5; ++k)
    w.add_f32("layer." + std::to_string(k), {3}, {float(k), float(k) + 1, 7});
  w.write_sharded(dir.path(), 2);
  const SafetensorsModel m = read_safetensors_dir(dir.path());
  EXPECT_EQ(m.shards.size(), 2u);
  EXPECT_EQ(m.shard_names[0], "model-00001-of-00002.safetensors");
  ASSERT_EQ(m.size(), 5u);
  for (int k = 0; k < 5; ++k) {
    const SafetensorsTensor* t = m.find("layer." + std::to_string(k));
    ASSERT_NE(t, nullptr) << k;
    EXPECT_EQ(tensor_to_f32(*t), (std::vector<float>{float(k), float(k) + 1, 7}));
  }
  EXPECT_EQ(m.find("layer.9"), nullptr);
}

TEST(Safetensors, ShardedIndexIsChecked) {
  TempDir dir;
  SafetensorsWriter w;
  w.add_f32("a", {1}, {1});
  w.write_file(dir.file("s1.safetensors"));
  write_file(dir.file("model.safetensors.index.json"),
             R"({"weight_map":{"a":"s1.safetensors","b":"s1.safetensors"}})");
  EXPECT_THROW(read_safetensors_dir(dir.path()), FormatError);  // b is not in s1
  write_file(dir.file("model.safetensors.index.json"),
             R"({"weight_map":{"a":"../s1.safetensors"}})");
  EXPECT_THROW(read_safetensors_dir(dir.path()), FormatError);  // escapes the directory
  write_file(dir.file("model.safetensors.index.json"),
             R"({"weight_map":{"a":"missing.safetensors"}})");
  EXPECT_THROW(read_safetensors_dir(dir.path()), FormatError);
  write_file(dir.file("model.safetensors.index.json"), R"({"weight_map":[1,2]})");
  EXPECT_THROW(read_safetensors_dir(dir.path()), FormatError);
  write_file(dir.file("model.safetensors.index.json"), R"({"weight_map":{"a":"s1.safetensors"}})");
  EXPECT_EQ(read_safetensors_dir(dir.path()).size(), 1u);
  TempDir empty;
  EXPECT_THROW(read_safetensors_dir(empty.path()), FormatError);
}

TEST(Safetensors, RejectsHostileFiles) {
  const std::string ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  expect_rejected({1, 2, 3}, "no header");
  {
    auto b = hand_file(ok, 8);
    const uint64_t huge = ~uint64_t{0};
    std::memcpy(b.data(), &huge, 8);
    expect_rejected(b, "too large");
    const uint64_t past = b.size();
    std::memcpy(b.data(), &past, 8);
    expect_rejected(b, "exceeds the file");
  }
  expect_rejected(hand_file(ok, 7), "outside the 7 data bytes");
  expect_rejected(hand_file("[1,2]", 0), "not a JSON object");
  expect_rejected(hand_file("{\"a\":", 0), "invalid JSON");
  expect_rejected(hand_file(R"({"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})", 8),
                  "unknown dtype");
  expect_rejected(hand_file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8),
                  "shape needs 12");
  expect_rejected(hand_file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8),
                  "non-negative");
  expect_rejected(hand_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8),
                  "outside");
  expect_rejected(hand_file(R"({"a":{"dtype":"F32","shape":[2]}})", 8), "needs dtype");
  expect_rejected(hand_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", 8),
                  "[begin, end]");
  expect_rejected(
      hand_file(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8),
      "too many elements");
  expect_rejected(hand_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                            R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                            12),
                  "overlap");
  expect_rejected(hand_file(R"({"__metadata__":{"k":1}})", 0), "must be a string");
  {
    // A repeated key collapses to one tensor (as JSON objects do in the
    // reference implementation); it can never yield two aliases.
    const auto b = hand_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
                             16);
    EXPECT_EQ(parse_safetensors(b.data(), b.size()).tensors.size(), 1u);
  }
  std::string deep(200, '[');
  expect_rejected(hand_file("{\"a\":" + deep, 0), "invalid JSON");
}

TEST(Safetensors, EveryTruncationIsACleanError) {
  SafetensorsWriter w;
  w.add_f32("a", {3}, {1, 2, 3});
  w.add_f32("b", {1}, {4});
  const auto bytes = w.to_bytes();
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THROW(parse_safetensors(bytes.data(), n), FormatError) << n;
  }
  EXPECT_NO_THROW(parse_safetensors(bytes.data(), bytes.size()));
}

TEST(Safetensors, DtypeSizes) {
  EXPECT_EQ(st_dtype_size(StDtype::kF32), 4u);
  EXPECT_EQ(st_dtype_size(StDtype::kBF16), 2u);
  EXPECT_EQ(st_dtype_size(StDtype::kI8), 1u);
  EXPECT_EQ(st_dtype_size(StDtype::kU8), 1u);
  EXPECT_EQ(st_dtype_size(StDtype::kI32), 4u);
  EXPECT_EQ(st_dtype_size(StDtype::kI64), 8u);
  EXPECT_STREQ(st_dtype_name(StDtype::kF8E4M3), "F8_E4M3");
}
