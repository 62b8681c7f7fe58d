// Random-weight test models. Every tensor is drawn from its own stream
// (seed x tensor name), in Hugging Face layout; the GGUF form then applies
// llama.cpp's conventions (q/k rows permuted for llama, 1-D tensors F32).
#include "engine/model/test_model.h"

#include <boost/json.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "engine/format/format_error.h"
#include "engine/format/gguf.h"
#include "engine/format/gguf_writer.h"
#include "engine/format/quant.h"
#include "engine/format/safetensors_writer.h"
#include "engine/format/text_file.h"
#include "engine/model/tensor_names.h"
#include "engine/model/tokenizer_json_writer.h"
#include "engine/tokenizer/gguf_vocab.h"

namespace hydra::engine {
namespace {

namespace bj = boost::json;

// The options with every default resolved and checked.
struct Shape {
  std::string arch;
  bool bert = false;
  int64_t layers, n, ff, heads, kv_heads, hd, vocab, n_pos;
  bool tie = false;
};

struct TestTensor {
  std::string name;  // GGUF name
  int64_t rows = 1, cols = 0;
  bool matrix = false;
  int64_t rope_heads = 0;  // llama q/k: heads whose rows GGUF interleaves
  std::vector<float> values;
};

// splitmix64: small, fast, and the same everywhere.
class Stream {
 public:
  Stream(uint64_t seed, const std::string& name) : state_(seed ^ 0x9E3779B97F4A7C15ULL) {
    for (unsigned char c : name) state_ = (state_ ^ c) * 0x100000001B3ULL;  // FNV-1a step
  }
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }
  // Box-Muller; one value per call keeps the stream simple.
  double gaussian() {
    return std::sqrt(-2.0 * std::log(uniform())) * std::cos(6.283185307179586 * uniform());
  }

 private:
  uint64_t state_;
};

void param_check(bool ok, const std::string& message) {
  if (!ok) throw_param("make-test-model: " + message);
}

Shape resolve(const TestModelOptions& o, int64_t vocab_size) {
  Shape s;
  s.arch = o.arch;
  param_check(o.arch == "llama" || o.arch == "qwen2" || o.arch == "qwen3" || o.arch == "bert",
              "arch must be llama, qwen2, qwen3 or bert");
  s.bert = o.arch == "bert";
  param_check(o.layers >= 1 && o.layers <= 256, "layers must be 1..256");
  param_check(o.hidden >= 2 && o.hidden <= 65536, "hidden must be 2..65536");
  param_check(o.heads >= 1, "heads must be positive");
  s.layers = o.layers;
  s.n = o.hidden;
  s.ff = o.intermediate > 0 ? o.intermediate : 2 * o.hidden;
  s.heads = o.heads;
  s.kv_heads = o.kv_heads > 0 ? o.kv_heads : s.bert ? o.heads : std::max<int64_t>(1, o.heads / 2);
  param_check(s.heads % s.kv_heads == 0, "heads must be a multiple of kv_heads");
  param_check(o.head_dim > 0 || s.n % s.heads == 0, "hidden must be a multiple of heads");
  s.hd = o.head_dim > 0 ? o.head_dim : s.n / s.heads;
  param_check(s.hd % 2 == 0, "head_dim must be even");
  param_check(!s.bert || (s.hd * s.heads == s.n && s.kv_heads == s.heads),
              "bert needs heads * head_dim == hidden and kv_heads == heads");
  param_check(o.arch == "qwen3" || s.hd * s.heads == s.n,
              "only qwen3 takes a head_dim other than hidden / heads");
  param_check(o.context_length >= 1, "context_length must be positive");
  s.vocab = vocab_size;
  s.n_pos = s.bert ? std::min<int64_t>(o.context_length, 512) : o.context_length;
  s.tie = o.tie_embeddings < 0 ? o.arch == "qwen2" : o.tie_embeddings == 1;
  const GgmlTypeInfo& info = type_info(o.type);
  param_check(info.computable, "weight type " + std::string(info.name) + " is not supported");
  for (int64_t cols : {s.n, s.heads * s.hd, s.ff}) {
    param_check(cols % info.block_size == 0,
                "rows of " + std::to_string(cols) + " are not a multiple of the " +
                    std::string(info.name) + " block size " + std::to_string(info.block_size));
  }
  return s;
}

// Rounds to what a 16-bit float of `type` holds, so F32 copies of 1-D
// tensors in GGUF equal their 16-bit copies in safetensors.
float representable(float v, GgmlType type) {
  if (type == GgmlType::kF16) return fp16_to_fp32(fp32_to_fp16(v));
  if (type == GgmlType::kBF16) return bf16_to_fp32(fp32_to_bf16(v));
  return v;
}

class TensorMaker {
 public:
  TensorMaker(const TestModelOptions& o, std::vector<TestTensor>& out) : o_(o), out_(out) {}

  void matrix(const std::string& name, int64_t rows, int64_t cols, int64_t rope_heads = 0) {
    TestTensor t{name, rows, cols, true, rope_heads, {}};
    Stream rng(o_.seed, name);
    const double scale = 1.0 / std::sqrt(static_cast<double>(cols));
    t.values.resize(static_cast<size_t>(rows * cols));
    for (float& v : t.values) v = static_cast<float>(rng.gaussian() * scale);
    out_.push_back(std::move(t));
  }
  // center + spread * N(0,1): norm weights near 1, biases near 0.
  void vector(const std::string& name, int64_t n, double center, double spread) {
    TestTensor t{name, 1, n, false, 0, {}};
    Stream rng(o_.seed, name);
    t.values.resize(static_cast<size_t>(n));
    for (float& v : t.values) {
      v = representable(static_cast<float>(center + spread * rng.gaussian()), o_.type);
    }
    out_.push_back(std::move(t));
  }

 private:
  const TestModelOptions& o_;
  std::vector<TestTensor>& out_;
};

std::vector<TestTensor> decoder_tensors(const TestModelOptions& o, const Shape& s) {
  std::vector<TestTensor> out;
  TensorMaker make(o, out);
  const int64_t q_dim = s.heads * s.hd, kv_dim = s.kv_heads * s.hd;
  const bool permute = s.arch == "llama";
  make.matrix("token_embd.weight", s.vocab, s.n);
  for (int64_t il = 0; il < s.layers; ++il) {
    auto name = [il](const char* suffix) { return layer_tensor(il, suffix); };
    make.vector(name("attn_norm.weight"), s.n, 1.0, 0.1);
    make.matrix(name("attn_q.weight"), q_dim, s.n, permute ? s.heads : 0);
    make.matrix(name("attn_k.weight"), kv_dim, s.n, permute ? s.kv_heads : 0);
    make.matrix(name("attn_v.weight"), kv_dim, s.n);
    if (s.arch == "qwen2") {
      make.vector(name("attn_q.bias"), q_dim, 0.0, 0.5);
      make.vector(name("attn_k.bias"), kv_dim, 0.0, 0.5);
      make.vector(name("attn_v.bias"), kv_dim, 0.0, 0.5);
    }
    if (s.arch == "qwen3") {
      make.vector(name("attn_q_norm.weight"), s.hd, 1.0, 0.1);
      make.vector(name("attn_k_norm.weight"), s.hd, 1.0, 0.1);
    }
    make.matrix(name("attn_output.weight"), s.n, q_dim);
    make.vector(name("ffn_norm.weight"), s.n, 1.0, 0.1);
    make.matrix(name("ffn_gate.weight"), s.ff, s.n);
    make.matrix(name("ffn_up.weight"), s.ff, s.n);
    make.matrix(name("ffn_down.weight"), s.n, s.ff);
  }
  make.vector("output_norm.weight", s.n, 1.0, 0.1);
  if (!s.tie) make.matrix("output.weight", s.vocab, s.n);
  return out;
}

std::vector<TestTensor> bert_tensors(const TestModelOptions& o, const Shape& s) {
  std::vector<TestTensor> out;
  TensorMaker make(o, out);
  make.matrix("token_embd.weight", s.vocab, s.n);
  make.matrix("token_types.weight", 2, s.n);
  make.matrix("position_embd.weight", s.n_pos, s.n);
  make.vector("token_embd_norm.weight", s.n, 1.0, 0.1);
  make.vector("token_embd_norm.bias", s.n, 0.0, 0.1);
  for (int64_t il = 0; il < s.layers; ++il) {
    auto name = [il](const char* suffix) { return layer_tensor(il, suffix); };
    for (const char* proj : {"attn_q", "attn_k", "attn_v", "attn_output"}) {
      make.matrix(name((std::string(proj) + ".weight").c_str()), s.n, s.n);
      make.vector(name((std::string(proj) + ".bias").c_str()), s.n, 0.0, 0.1);
    }
    make.vector(name("attn_output_norm.weight"), s.n, 1.0, 0.1);
    make.vector(name("attn_output_norm.bias"), s.n, 0.0, 0.1);
    make.matrix(name("ffn_up.weight"), s.ff, s.n);
    make.vector(name("ffn_up.bias"), s.ff, 0.0, 0.1);
    make.matrix(name("ffn_down.weight"), s.n, s.ff);
    make.vector(name("ffn_down.bias"), s.n, 0.0, 0.1);
    make.vector(name("layer_output_norm.weight"), s.n, 1.0, 0.1);
    make.vector(name("layer_output_norm.bias"), s.n, 0.0, 0.1);
  }
  return out;
}

// llama.cpp's converter stores each llama q/k head with its rotary pairs
// interleaved: GGUF row 2i + c of a head is Hugging Face row c * hd/2 + i.
std::vector<float> gguf_row_order(const TestTensor& t) {
  if (t.rope_heads == 0) return t.values;
  std::vector<float> out(t.values.size());
  const int64_t hd = t.rows / t.rope_heads, half = hd / 2;
  for (int64_t h = 0; h < t.rope_heads; ++h) {
    for (int64_t i = 0; i < half; ++i) {
      for (int64_t c = 0; c < 2; ++c) {
        const float* src = &t.values[(h * hd + c * half + i) * t.cols];
        std::copy(src, src + t.cols, &out[(h * hd + 2 * i + c) * t.cols]);
      }
    }
  }
  return out;
}

std::vector<uint8_t> encode_rows(const std::vector<float>& values, int64_t rows, int64_t cols,
                                 GgmlType type) {
  const size_t rb = row_size(type, cols);
  std::vector<uint8_t> bytes(rb * static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    quantize_row(type, &values[r * cols], bytes.data() + r * rb, cols);
  }
  return bytes;
}

std::string chat_template_of(const TestModelOptions& o, const GgufFile& vocab) {
  if (!o.chat_template_path.empty()) return read_text_file(o.chat_template_path, 1 << 20);
  return vocab.get_str("tokenizer.chat_template", "");
}

void write_gguf(const std::string& path, const TestModelOptions& o, const Shape& s,
                const GgufFile& vocab, const std::vector<TestTensor>& tensors) {
  GgufWriter w;
  const std::string a = s.arch;
  w.set_str("general.architecture", a);
  w.set_str("general.name", "hydra-test-" + a);
  w.set_u32(a + ".block_count", static_cast<uint32_t>(s.layers));
  w.set_u32(a + ".context_length", static_cast<uint32_t>(s.n_pos));
  w.set_u32(a + ".embedding_length", static_cast<uint32_t>(s.n));
  w.set_u32(a + ".feed_forward_length", static_cast<uint32_t>(s.ff));
  w.set_u32(a + ".attention.head_count", static_cast<uint32_t>(s.heads));
  w.set_u32(a + ".attention.head_count_kv", static_cast<uint32_t>(s.kv_heads));
  w.set_u32(a + ".attention.key_length", static_cast<uint32_t>(s.hd));
  w.set_u32(a + ".attention.value_length", static_cast<uint32_t>(s.hd));
  if (s.bert) {
    w.set_f32(a + ".attention.layer_norm_epsilon", o.norm_eps);
    w.set_bool(a + ".attention.causal", false);
    w.set_u32(a + ".pooling_type", 1);  // mean
  } else {
    w.set_f32(a + ".attention.layer_norm_rms_epsilon", o.norm_eps);
    w.set_f32(a + ".rope.freq_base", o.rope_theta);
    if (o.rope_linear_scale > 1.0f) {
      w.set_str(a + ".rope.scaling.type", "linear");
      w.set_f32(a + ".rope.scaling.factor", o.rope_linear_scale);
    }
  }
  for (const auto& [key, value] : vocab.metadata) {
    if (key.starts_with("tokenizer.")) w.set(key, value);
  }
  const std::string tmpl = chat_template_of(o, vocab);
  if (!tmpl.empty()) w.set_str("tokenizer.chat_template", tmpl);
  if (s.bert) w.set_u32("tokenizer.ggml.token_type_count", 2);
  for (const TestTensor& t : tensors) {
    if (t.matrix) {
      std::vector<uint8_t> bytes = encode_rows(gguf_row_order(t), t.rows, t.cols, o.type);
      w.add_tensor(t.name, o.type, {t.cols, t.rows}, bytes.data(), bytes.size());
    } else {
      w.add_tensor(t.name, GgmlType::kF32, {t.cols}, t.values.data(),
                   t.values.size() * sizeof(float));
    }
  }
  w.write_file(path);
}

bj::object hf_config(const TestModelOptions& o, const Shape& s, const VocabData& v) {
  bj::object c;
  static const std::map<std::string, std::string> kClass = {{"llama", "LlamaForCausalLM"},
                                                            {"qwen2", "Qwen2ForCausalLM"},
                                                            {"qwen3", "Qwen3ForCausalLM"},
                                                            {"bert", "BertModel"}};
  c["architectures"] = bj::array{bj::string(kClass.at(s.arch))};
  c["model_type"] = s.arch;
  c["hidden_size"] = s.n;
  c["intermediate_size"] = s.ff;
  c["num_hidden_layers"] = s.layers;
  c["num_attention_heads"] = s.heads;
  c["vocab_size"] = s.vocab;
  c["max_position_embeddings"] = s.n_pos;
  c["torch_dtype"] = o.type == GgmlType::kF16    ? "float16"
                     : o.type == GgmlType::kBF16 ? "bfloat16"
                                                 : "float32";
  if (s.bert) {
    c["layer_norm_eps"] = static_cast<double>(o.norm_eps);
    c["type_vocab_size"] = 2;
    c["hidden_act"] = "gelu";
    c["position_embedding_type"] = "absolute";
    if (v.pad >= 0) c["pad_token_id"] = v.pad;
    return c;
  }
  c["num_key_value_heads"] = s.kv_heads;
  c["head_dim"] = s.hd;
  c["hidden_act"] = "silu";
  c["rms_norm_eps"] = static_cast<double>(o.norm_eps);
  c["rope_theta"] = static_cast<double>(o.rope_theta);
  if (o.rope_linear_scale > 1.0f) {
    c["rope_scaling"] =
        bj::object{{"type", "linear"}, {"factor", static_cast<double>(o.rope_linear_scale)}};
  }
  c["tie_word_embeddings"] = s.tie;
  c["attention_bias"] = s.arch == "qwen2";
  if (v.bos >= 0) c["bos_token_id"] = v.bos;
  if (v.eos >= 0) c["eos_token_id"] = v.eos;
  return c;
}

bj::object hf_tokenizer_config(const VocabData& v, const std::string& tmpl, const Shape& s) {
  bj::object c;
  auto text = [&v](int32_t id) { return v.tokens.at(static_cast<size_t>(id)); };
  if (v.bos >= 0) c["bos_token"] = text(v.bos);
  if (v.eos >= 0) c["eos_token"] = text(v.eos);
  if (v.unk >= 0) c["unk_token"] = text(v.unk);
  if (!s.bert) {
    c["add_bos_token"] = v.add_bos;
    c["add_eos_token"] = v.add_eos;
  }
  c["model_max_length"] = s.n_pos;
  if (!tmpl.empty()) c["chat_template"] = tmpl;
  return c;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  if (!f) throw FormatError("cannot write " + path);
}

void write_hf(const std::string& dir, const TestModelOptions& o, const Shape& s,
              const GgufFile& vocab_file, const std::vector<TestTensor>& tensors) {
  param_check(o.type == GgmlType::kF32 || o.type == GgmlType::kF16 || o.type == GgmlType::kBF16,
              "the safetensors form holds f32, f16 or bf16 weights");
  const StDtype dtype = o.type == GgmlType::kF16    ? StDtype::kF16
                        : o.type == GgmlType::kBF16 ? StDtype::kBF16
                                                    : StDtype::kF32;
  SafetensorsWriter w;
  w.set_metadata("format", "pt");
  for (const TestTensor& t : tensors) {
    std::vector<uint8_t> bytes = encode_rows(t.values, t.rows, t.cols, o.type);
    std::vector<int64_t> shape =
        t.matrix ? std::vector<int64_t>{t.rows, t.cols} : std::vector<int64_t>{t.cols};
    w.add_tensor(hf_names_for(t.name, s.bert).at(0), dtype, shape, bytes.data(), bytes.size());
  }
  std::filesystem::create_directories(dir);
  w.write_file(dir + "/model.safetensors");
  VocabData v = vocab_from_gguf(vocab_file);
  write_text(dir + "/config.json", bj::serialize(hf_config(o, s, v)));
  write_text(dir + "/tokenizer.json", tokenizer_json_from_vocab(v));
  write_text(dir + "/tokenizer_config.json",
             bj::serialize(hf_tokenizer_config(v, chat_template_of(o, vocab_file), s)));
}

}  // namespace

void make_test_model(const std::string& path, const TestModelOptions& o, TestModelFormat format) {
  param_check(!o.vocab_path.empty(), "a vocabulary file is required");
  const GgufFile vocab = read_gguf(o.vocab_path);
  param_check(vocab.has("tokenizer.ggml.tokens"),
              o.vocab_path + " has no tokenizer.ggml.tokens metadata");
  const auto n_vocab = static_cast<int64_t>(vocab.get_arr_size("tokenizer.ggml.tokens"));
  const Shape s = resolve(o, n_vocab);
  const std::vector<TestTensor> tensors = s.bert ? bert_tensors(o, s) : decoder_tensors(o, s);
  if (format == TestModelFormat::kGguf) {
    write_gguf(path, o, s, vocab, tensors);
  } else {
    write_hf(path, o, s, vocab, tensors);
  }
}

}  // namespace hydra::engine
