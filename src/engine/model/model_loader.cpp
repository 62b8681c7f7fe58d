// Builds a Model from a GGUF file or a Hugging Face directory. The matrices
// the products stream move into huge pages (Q8_0 repacked for the SIMD
// kernels) and their file pages are released; an untied embedding stays in
// the mapped file; only norm weights and biases (a few KB) become floats.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>

#include "engine/format/format_error.h"
#include "engine/format/gguf.h"
#include "engine/format/safetensors.h"
#include "engine/kernels/kernels.h"
#include "engine/kernels/q8_packed.h"
#include "engine/model/model.h"
#include "engine/model/tensor_names.h"

namespace hydra::engine {
namespace {

// Finds a tensor by its GGUF name in whichever file the model came from.
using TensorLookup = std::function<std::optional<Weight>(const std::string&)>;

void check_computable(GgmlType type, const std::string& name) {
  if (!type_info(type).computable) {
    throw FormatError("model: tensor '" + name + "' has type " + std::string(type_name(type)) +
                      ", which this engine cannot compute with");
  }
}

TensorLookup gguf_lookup(const GgufFile& f) {
  return [&f](const std::string& name) -> std::optional<Weight> {
    const GgufTensor* t = f.find_tensor(name);
    if (t == nullptr) return std::nullopt;
    check_computable(t->type, name);
    Weight w;
    w.type = t->type;
    w.cols = t->ne[0];
    w.rows = t->n_rows();
    w.row_bytes = row_size(t->type, t->ne[0]);
    w.data = t->data;
    return w;
  };
}

std::optional<GgmlType> ggml_type_of(StDtype d) {
  switch (d) {
    case StDtype::kF32:
      return GgmlType::kF32;
    case StDtype::kF16:
      return GgmlType::kF16;
    case StDtype::kBF16:
      return GgmlType::kBF16;
    default:
      return std::nullopt;
  }
}

TensorLookup safetensors_lookup(const SafetensorsModel& m, bool bert) {
  return [&m, bert](const std::string& name) -> std::optional<Weight> {
    for (const std::string& hf : hf_names_for(name, bert)) {
      const SafetensorsTensor* t = m.find(hf);
      if (t == nullptr) continue;
      std::optional<GgmlType> type = ggml_type_of(t->dtype);
      if (!type) {
        throw FormatError("model: tensor '" + hf + "' has dtype " + st_dtype_name(t->dtype) +
                          "; only F32, F16 and BF16 are supported");
      }
      if (t->shape.empty() || t->shape.size() > 2) {
        throw FormatError("model: tensor '" + hf + "' must have 1 or 2 dimensions");
      }
      Weight w;
      w.type = *type;
      w.rows = t->shape.size() == 2 ? t->shape[0] : 1;
      w.cols = t->shape.back();
      w.row_bytes = row_size(*type, w.cols);
      w.data = t->data;
      return w;
    }
    return std::nullopt;
  };
}

std::string shape_text(int64_t rows, int64_t cols) {
  return "[" + std::to_string(rows) + ", " + std::to_string(cols) + "]";
}

class WeightBinder {
 public:
  explicit WeightBinder(TensorLookup lookup) : lookup_(std::move(lookup)) {}

  // A matrix of rows x cols (rows = output features); rows == 0 accepts any.
  Weight matrix(const std::string& name, int64_t rows, int64_t cols) const {
    std::optional<Weight> w = lookup_(name);
    if (!w) throw FormatError("model: missing tensor '" + name + "'");
    check_shape(name, *w, rows, cols);
    return *w;
  }
  std::optional<Weight> optional_matrix(const std::string& name, int64_t rows, int64_t cols) const {
    std::optional<Weight> w = lookup_(name);
    if (w) check_shape(name, *w, rows, cols);
    return w;
  }
  std::vector<float> vector(const std::string& name, int64_t n) const {
    std::optional<std::vector<float>> v = optional_vector(name, n);
    if (!v) throw FormatError("model: missing tensor '" + name + "'");
    return *v;
  }
  std::optional<std::vector<float>> optional_vector(const std::string& name, int64_t n) const {
    std::optional<Weight> w = lookup_(name);
    if (!w) return std::nullopt;
    if (w->rows * w->cols != n) {
      throw FormatError("model: tensor '" + name + "' has " + std::to_string(w->rows * w->cols) +
                        " elements, expected " + std::to_string(n));
    }
    return weight_to_f32(*w);
  }

 private:
  static void check_shape(const std::string& name, const Weight& w, int64_t rows, int64_t cols) {
    if ((rows != 0 && w.rows != rows) || w.cols != cols) {
      throw FormatError("model: tensor '" + name + "' has shape " + shape_text(w.rows, w.cols) +
                        ", expected " + shape_text(rows, cols));
    }
  }
  TensorLookup lookup_;
};

Arch arch_of(const ModelConfig& c) {
  if (c.architecture == "llama") return Arch::kLlama;
  if (c.architecture == "qwen2") return Arch::kQwen2;
  if (c.architecture == "qwen3") return Arch::kQwen3;
  if (c.architecture == "bert") return Arch::kBert;
  throw FormatError("model: unsupported architecture '" + c.architecture + "'");
}

void check_config(const ModelConfig& c) {
  if (c.num_hidden_layers > 1024 || c.hidden_size > (1 << 20) || c.head_dim > 4096) {
    throw FormatError("model: implausible sizes in the configuration");
  }
  if (c.head_dim % 2 != 0) throw FormatError("model: head_dim must be even for rotary embedding");
}

void bind_decoder_layer(const WeightBinder& b, const ModelConfig& c, int64_t il, LayerWeights& l) {
  const int64_t n = c.hidden_size, hd = c.head_dim;
  const int64_t q_dim = c.num_attention_heads * hd, kv_dim = c.num_key_value_heads * hd;
  auto name = [il](const char* s) { return layer_tensor(il, s); };
  l.attn_norm = b.vector(name("attn_norm.weight"), n);
  l.wq = b.matrix(name("attn_q.weight"), q_dim, n);
  l.wk = b.matrix(name("attn_k.weight"), kv_dim, n);
  l.wv = b.matrix(name("attn_v.weight"), kv_dim, n);
  l.wo = b.matrix(name("attn_output.weight"), n, q_dim);
  l.bq = b.optional_vector(name("attn_q.bias"), q_dim).value_or(std::vector<float>{});
  l.bk = b.optional_vector(name("attn_k.bias"), kv_dim).value_or(std::vector<float>{});
  l.bv = b.optional_vector(name("attn_v.bias"), kv_dim).value_or(std::vector<float>{});
  l.bo = b.optional_vector(name("attn_output.bias"), n).value_or(std::vector<float>{});
  if (c.architecture == "qwen3") {
    l.q_norm = b.vector(name("attn_q_norm.weight"), hd);
    l.k_norm = b.vector(name("attn_k_norm.weight"), hd);
  }
  l.ffn_norm = b.vector(name("ffn_norm.weight"), n);
  l.ffn_gate = b.matrix(name("ffn_gate.weight"), c.intermediate_size, n);
  l.ffn_up = b.matrix(name("ffn_up.weight"), c.intermediate_size, n);
  l.ffn_down = b.matrix(name("ffn_down.weight"), n, c.intermediate_size);
}

void bind_bert_layer(const WeightBinder& b, const ModelConfig& c, int64_t il, LayerWeights& l) {
  const int64_t n = c.hidden_size, ff = c.intermediate_size;
  auto name = [il](const char* s) { return layer_tensor(il, s); };
  l.wq = b.matrix(name("attn_q.weight"), n, n);
  l.wk = b.matrix(name("attn_k.weight"), n, n);
  l.wv = b.matrix(name("attn_v.weight"), n, n);
  l.wo = b.matrix(name("attn_output.weight"), n, n);
  l.bq = b.vector(name("attn_q.bias"), n);
  l.bk = b.vector(name("attn_k.bias"), n);
  l.bv = b.vector(name("attn_v.bias"), n);
  l.bo = b.vector(name("attn_output.bias"), n);
  l.attn_norm = b.vector(name("attn_output_norm.weight"), n);
  l.attn_norm_b = b.vector(name("attn_output_norm.bias"), n);
  l.ffn_up = b.matrix(name("ffn_up.weight"), ff, n);
  l.b_up = b.vector(name("ffn_up.bias"), ff);
  l.ffn_down = b.matrix(name("ffn_down.weight"), n, ff);
  l.b_down = b.vector(name("ffn_down.bias"), n);
  l.ffn_norm = b.vector(name("layer_output_norm.weight"), n);
  l.ffn_norm_b = b.vector(name("layer_output_norm.bias"), n);
}

void bind(const WeightBinder& b, Model& m) {
  const ModelConfig& c = m.config;
  const int64_t n = c.hidden_size;
  m.token_embd = b.matrix("token_embd.weight", 0, n);
  if (m.token_embd.rows <= 0) throw FormatError("model: empty token embedding");
  m.config.vocab_size = m.token_embd.rows;
  m.layers.resize(static_cast<size_t>(c.num_hidden_layers));
  if (m.arch == Arch::kBert) {
    m.position_embd = b.matrix("position_embd.weight", 0, n);
    if (std::optional<Weight> tt = b.optional_matrix("token_types.weight", 0, n)) {
      m.token_types = *tt;
    }
    m.embd_norm = b.vector("token_embd_norm.weight", n);
    m.embd_norm_b = b.vector("token_embd_norm.bias", n);
    for (int64_t il = 0; il < c.num_hidden_layers; ++il) bind_bert_layer(b, c, il, m.layers[il]);
    return;
  }
  for (int64_t il = 0; il < c.num_hidden_layers; ++il) bind_decoder_layer(b, c, il, m.layers[il]);
  m.output_norm = b.vector("output_norm.weight", n);
  std::optional<Weight> out = b.optional_matrix("output.weight", m.n_vocab(), n);
  m.output = out ? *out : m.token_embd;
}

// The whole pages of [p, p + n) of a read-only file mapping leave this
// process (they stay in the page cache; a later read maps them back).
void release_mapped_pages(const uint8_t* p, size_t n) {
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t first = (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
  const uintptr_t last = (reinterpret_cast<uintptr_t>(p) + n) / page * page;
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

// The matrices the products stream for every token (an untied embedding
// is only looked up, a row per token, and stays in the file).
std::vector<Weight*> streamed_matrices(Model& m) {
  std::vector<Weight*> out;
  for (LayerWeights& l : m.layers) {
    for (Weight* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.ffn_gate, &l.ffn_up, &l.ffn_down}) {
      if (!w->empty()) out.push_back(w);
    }
  }
  if (!m.output.empty()) out.push_back(&m.output);
  return out;
}

bool packs(const Weight& w) {
  return has_packed_layout(w.type) && kernels().reads_packed;
}

MatrixRef ref(const Weight& w) {
  return MatrixRef{w.type, w.rows, w.cols, w.row_bytes, w.data};
}

size_t resident_size(const Weight& w) {
  const size_t rows = packs(w) ? q8_packed_size(ref(w)) : static_cast<size_t>(w.rows) * w.row_bytes;
  return (rows + 63) / 64 * 64;
}

// Every streamed matrix moves into one allocation in huge pages: Q8_0 and
// Q4_0 matrices, when the kernel table reads them packed (kernels/q8_packed.h),
// as their packed copy, the others as a copy of their rows. A token's
// products read the weights as long streams, and in the file mapping's
// 4 KB pages each page costs a TLB miss and stops the hardware prefetcher
// (F16 decode ran 7-10% faster from the copy). The file's pages of each
// matrix are released, so the weights stay resident once; a packed
// matrix keeps `data` on the file rows (the scalar table and the embedding
// lookups of other tables read those, mapped back in on demand).
void move_weights_to_huge_pages(Model& m, bool mapped) {
  const bool tied = m.token_embd.data == m.output.data;
  const std::vector<Weight*> weights = streamed_matrices(m);
  size_t total = 0;
  for (const Weight* w : weights) total += resident_size(*w);
  if (total == 0) return;
  WeightBytes copy = alloc_weight_memory(total);
  uint8_t* at = copy.get();
  for (Weight* w : weights) {
    const uint8_t* file_rows = w->data;
    const size_t file_bytes = static_cast<size_t>(w->rows) * w->row_bytes;
    if (packs(*w)) {
      pack_q8_matrix(ref(*w), at);
      w->packed = at;
    } else {
      std::memcpy(at, file_rows, file_bytes);
      w->data = at;
    }
    at += resident_size(*w);
    if (mapped) release_mapped_pages(file_rows, file_bytes);
  }
  m.resident_weights = std::move(copy);
  if (tied) m.token_embd = m.output;
}

std::unique_ptr<Model> load_gguf_model(const std::string& path) {
  auto file = std::make_shared<GgufFile>(read_gguf(path));
  auto m = std::make_unique<Model>();
  m->config = model_config_from_gguf(*file);
  m->arch = arch_of(m->config);
  check_config(m->config);
  m->rope_layout = m->arch == Arch::kLlama ? RopeLayout::kInterleaved : RopeLayout::kNeox;
  if (m->arch == Arch::kBert) {
    uint32_t pooling = file->get_u32("bert.pooling_type", 1);
    m->default_pooling = pooling == 2   ? Pooling::kCls
                         : pooling == 0 ? Pooling::kNone
                                        : Pooling::kMean;
  }
  bind(WeightBinder(gguf_lookup(*file)), *m);
  move_weights_to_huge_pages(*m, file->mapping != nullptr);
  m->source = "gguf";
  m->keep_alive = std::shared_ptr<const GgufFile>(file);
  return m;
}

std::unique_ptr<Model> load_hf_model(const std::string& dir) {
  auto m = std::make_unique<Model>();
  m->config = read_hf_config(dir + "/config.json");
  m->arch = arch_of(m->config);
  check_config(m->config);
  m->rope_layout = RopeLayout::kNeox;
  auto weights = std::make_shared<SafetensorsModel>(read_safetensors_dir(dir));
  bind(WeightBinder(safetensors_lookup(*weights, m->arch == Arch::kBert)), *m);
  if (m->config.tie_word_embeddings) m->output = m->token_embd;
  bool mapped = true;
  for (const SafetensorsFile& f : weights->shards) mapped = mapped && f.mapping != nullptr;
  move_weights_to_huge_pages(*m, mapped);
  m->source = "safetensors";
  m->keep_alive = std::shared_ptr<const SafetensorsModel>(weights);
  return m;
}

}  // namespace

std::unique_ptr<Model> load_model(const std::string& path) {
  try {
    if (std::filesystem::is_directory(path)) return load_hf_model(path);
    return load_gguf_model(path);
  } catch (const FormatError& e) {
    const std::string what = e.what();
    if (what.find(path) != std::string::npos) throw;
    throw FormatError(path + ": " + what);
  }
}

}  // namespace hydra::engine
