// Bad model files and bad requests fail with clear errors, never a crash.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "engine/format/format_error.h"
#include "engine/format/gguf.h"
#include "engine/format/gguf_writer.h"
#include "engine/model/decoder.h"
#include "engine/model/kv_cache.h"
#include "engine/model/model.h"
#include "fixtures.h"

namespace hydra::engine {
namespace {

TestModelOptions tiny() {
  TestModelOptions o;
  o.vocab_path = test::vocab_file("llama-spm");
  o.hidden = 32;
  o.layers = 1;
  o.seed = 11;
  return o;
}

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Rewrites a GGUF without one tensor or with one metadata value changed.
std::string variant(const std::string& src, const std::string& name, const std::string& drop,
                    const std::string& key = "", const GgufValue* value = nullptr) {
  GgufFile f = read_gguf(src);
  GgufWriter w;
  for (const auto& [k, v] : f.metadata) w.set(k, v);
  if (value != nullptr) w.set(key, *value);
  for (const GgufTensor& t : f.tensors) {
    if (t.name == drop) continue;
    std::vector<int64_t> ne(t.ne, t.ne + t.n_dims);
    w.add_tensor(t.name, t.type, ne, t.data, t.nbytes);
  }
  const std::string path = test::scratch_dir() + "/" + name;
  w.write_file(path);
  return path;
}

TEST(ModelErrors, DefectiveFilesThrowFormatErrorNamingTheProblem) {
  const std::string good = test::test_model("errors_tiny", tiny());
  auto expect_error = [](const std::string& path, const std::string& needle) {
    try {
      load_model(path);
      ADD_FAILURE() << "loaded " << path;
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error(variant(good, "no_q.gguf", "blk.0.attn_q.weight"), "blk.0.attn_q.weight");
  GgufValue arch = GgufValue::of_str("mamba");
  expect_error(variant(good, "arch.gguf", "", "general.architecture", &arch), "mamba");
  GgufValue heads = GgufValue::of_u32(8);
  expect_error(variant(good, "heads.gguf", "", "llama.attention.head_count", &heads), "shape");
  const std::string bytes = read_all(good);
  for (size_t cut : {size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
    const std::string path = test::scratch_dir() + "/truncated.gguf";
    write_all(path, bytes.substr(0, cut));
    EXPECT_THROW(load_model(path), FormatError) << cut;
  }
  EXPECT_THROW(load_model(test::scratch_dir() + "/does-not-exist.gguf"), FormatError);
  const std::string empty_dir = test::scratch_dir() + "/empty-hf";
  std::filesystem::create_directories(empty_dir);
  EXPECT_THROW(load_model(empty_dir), FormatError);
}

TEST(ModelErrors, SafetensorsDirectoryWithWrongShapeThrows) {
  const std::string dir = test::test_model("errors_tiny", tiny(), TestModelFormat::kSafetensors);
  const std::string broken = test::scratch_dir() + "/broken-hf";
  std::filesystem::create_directories(broken);
  for (const char* f : {"model.safetensors", "tokenizer.json"}) {
    std::filesystem::copy_file(dir + "/" + f, broken + "/" + f,
                               std::filesystem::copy_options::overwrite_existing);
  }
  std::string config = read_all(dir + "/config.json");
  const size_t at = config.find("\"intermediate_size\":64");
  ASSERT_NE(at, std::string::npos) << config;
  config.replace(at, 22, "\"intermediate_size\":96");
  write_all(broken + "/config.json", config);
  EXPECT_THROW(load_model(broken), FormatError);
}

TEST(ModelErrors, BadRequestsThrowApiError) {
  auto m = load_model(test::test_model("errors_tiny", tiny()));
  KvCache cache(*m, 4);
  std::vector<float> logits(m->n_vocab());
  EXPECT_THROW(decode(*m, cache, std::vector<int32_t>{1, -5}, logits.data()), ApiError);
  EXPECT_THROW(decode(*m, cache, std::vector<int32_t>{1, 32000}, logits.data()), ApiError);
  EXPECT_EQ(cache.n_past, 0);
  EXPECT_THROW(decode(*m, cache, std::vector<int32_t>{1, 2, 3, 4, 5}, logits.data()), ApiError);
  decode(*m, cache, std::vector<int32_t>{1, 2, 3, 4}, logits.data());
  EXPECT_EQ(cache.n_past, 4);
  EXPECT_THROW(decode(*m, cache, std::vector<int32_t>{1}, logits.data()), ApiError);
  EXPECT_THROW(KvCache(*m, 0), ApiError);
}

TEST(TestModels, SeedDeterminesTheWeightsAndOptionsAreChecked) {
  TestModelOptions o = tiny();
  const std::string a = test::scratch_dir() + "/seed-a.gguf",
                    b = test::scratch_dir() + "/seed-b.gguf",
                    c = test::scratch_dir() + "/seed-c.gguf";
  make_test_model(a, o, TestModelFormat::kGguf);
  make_test_model(b, o, TestModelFormat::kGguf);
  o.seed = 12;
  make_test_model(c, o, TestModelFormat::kGguf);
  EXPECT_EQ(read_all(a), read_all(b));
  EXPECT_NE(read_all(a), read_all(c));
  // The vocabulary and its metadata travel with the model.
  GgufFile f = read_gguf(a);
  EXPECT_EQ(f.get_arr_size("tokenizer.ggml.tokens"), 32000u);
  EXPECT_EQ(f.get_str("tokenizer.ggml.model"), "llama");

  const std::string out = test::scratch_dir() + "/bad.gguf";
  auto bad = [&](auto change) {
    TestModelOptions x = tiny();
    change(x);
    EXPECT_THROW(make_test_model(out, x, TestModelFormat::kGguf), ApiError);
  };
  bad([](TestModelOptions& x) { x.arch = "gpt-j"; });
  bad([](TestModelOptions& x) { x.heads = 3; });
  bad([](TestModelOptions& x) { x.kv_heads = 3; });
  bad([](TestModelOptions& x) { x.type = GgmlType::kQ4_K; });  // rows of 32
  bad([](TestModelOptions& x) { x.type = GgmlType::kIQ2_XS; });
  bad([](TestModelOptions& x) { x.vocab_path.clear(); });
  TestModelOptions q = tiny();
  q.type = GgmlType::kQ8_0;
  EXPECT_THROW(make_test_model(test::scratch_dir() + "/q8-hf", q, TestModelFormat::kSafetensors),
               ApiError);
  q.vocab_path = test::vocab_file("no-such");
  EXPECT_THROW(make_test_model(out, q, TestModelFormat::kGguf), FormatError);
}

TEST(TestModels, ChatTemplateComesFromTheVocabularyOrTheGivenFile) {
  TestModelOptions o = tiny();
  o.vocab_path = test::vocab_file("phi-3");
  GgufFile phi = read_gguf(test::test_model("tmpl_phi3", o));
  EXPECT_NE(phi.get_str("tokenizer.chat_template", "").find("<|assistant|>"), std::string::npos);
  o.chat_template_path =
      std::string(HYDRA_TESTDATA_DIR) + "/chat-templates/Qwen-Qwen2.5-7B-Instruct.jinja";
  const std::string dir = test::test_model("tmpl_qwen", o, TestModelFormat::kSafetensors);
  EXPECT_NE(read_all(dir + "/tokenizer_config.json").find("<|im_start|>"), std::string::npos);
}

}  // namespace
}  // namespace hydra::engine
