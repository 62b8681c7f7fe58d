// Decoder-only transformer forward pass over a batch of rows:
// RMSNorm -> QKV (+bias) -> [q/k norm] -> RoPE -> causal GQA attention over
// the paged cache -> output projection -> residual -> RMSNorm -> SwiGLU ->
// residual. Matrix products take every row at once (matmul.h); per-row
// work runs on the compute pool too.
#include "engine/model/decoder.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "common/error.h"
#include "engine/format/quant.h"
#include "engine/kernels/kernels.h"
#include "engine/kernels/matmul.h"
#include "engine/kernels/q8_packed.h"
#include "engine/model/attention.h"
#include "engine/model/ops.h"
#include "engine/model/rope.h"

namespace hydra::engine {
namespace {

// Rows handled by one task of the per-row loops.
constexpr int64_t kRowGrain = 8;
// Tokens of one sequence decode() runs per forward pass.
constexpr size_t kDecodeChunk = 512;

struct Activations {
  std::vector<float> x, h, q, k, v, attn, proj, gate, up, logits_in, logits_out;

  void resize(const Model& m, int64_t rows) {
    const auto t = static_cast<size_t>(rows);
    const auto n = static_cast<size_t>(m.n_embd());
    const auto q_dim = static_cast<size_t>(m.n_head() * m.head_dim());
    const auto kv_dim = static_cast<size_t>(m.n_head_kv() * m.head_dim());
    const auto ff = static_cast<size_t>(m.config.intermediate_size);
    x.resize(t * n);
    h.resize(t * n);
    proj.resize(t * n);
    q.resize(t * q_dim);
    attn.resize(t * q_dim);
    k.resize(t * kv_dim);
    v.resize(t * kv_dim);
    gate.resize(t * ff);
    up.resize(t * ff);
  }
};

MatrixRef as_matrix(const Weight& w) {
  return MatrixRef{w.type, w.rows, w.cols, w.row_bytes, w.data, w.packed};
}

void add_bias(float* y, const std::vector<float>& b) {
  if (!b.empty()) add_in_place(y, b.data(), static_cast<int64_t>(b.size()));
}

void norm_rows(const float* x, const std::vector<float>& w, float* out, int64_t rows, int64_t n,
               float eps) {
  parallel_for(rows, kRowGrain * 4, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) rms_norm(x + r * n, w.data(), out + r * n, n, eps);
  });
}

void head_norm(float* x, const std::vector<float>& w, int64_t n_heads, int64_t hd, float eps) {
  if (w.empty()) return;
  for (int64_t h = 0; h < n_heads; ++h) rms_norm(x + h * hd, w.data(), x + h * hd, hd, eps);
}

void store_row(GgmlType type, const float* src, uint8_t* dst, int64_t n) {
  switch (type) {
    case GgmlType::kF16:
      kernels().f32_to_f16(src, reinterpret_cast<uint16_t*>(dst), n);
      return;
    case GgmlType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    default:
      quantize_row(type, src, dst, n);
  }
}

// Bias, q/k layout, q/k norm and rotation of one row; then its key and
// value go into the cache.
void position_row(const Model& m, const LayerWeights& l, int64_t il, const BatchRow& row, float* q,
                  float* k, const float* v, std::vector<float>& tmp, std::vector<float>& cos,
                  std::vector<float>& sin) {
  const int64_t hd = m.head_dim(), kv_dim = m.n_head_kv() * hd;
  add_bias(q, l.bq);
  add_bias(k, l.bk);
  // GGUF llama files store q/k rows in interleaved-pair order; turning them
  // into halves here keeps the cache, and every sum over it, in one layout
  // for every source, so a GGUF and a safetensors copy agree bit for bit.
  if (m.rope_layout == RopeLayout::kInterleaved) {
    deinterleave_heads(q, m.n_head(), hd, tmp);
    deinterleave_heads(k, m.n_head_kv(), hd, tmp);
  }
  head_norm(q, l.q_norm, m.n_head(), hd, m.config.rms_norm_eps);
  head_norm(k, l.k_norm, m.n_head_kv(), hd, m.config.rms_norm_eps);
  cos.resize(static_cast<size_t>(hd / 2));
  sin.resize(cos.size());
  rope_angles(rope_params(m.config), row.pos, cos.data(), sin.data());
  rope_neox(q, m.n_head(), hd, cos.data(), sin.data());
  rope_neox(k, m.n_head_kv(), hd, cos.data(), sin.data());
  const GgmlType type = row.cache->store().type();
  store_row(type, k, row.cache->k_row(il, row.pos), kv_dim);
  store_row(type, v, row.cache->v_row(il, row.pos), kv_dim);
}

void attention_block(const Model& m, const LayerWeights& l, int64_t il,
                     std::span<const BatchRow> rows, Activations& a) {
  const auto t = static_cast<int64_t>(rows.size());
  const int64_t n = m.n_embd(), hd = m.head_dim();
  const int64_t q_dim = m.n_head() * hd, kv_dim = m.n_head_kv() * hd;
  norm_rows(a.x.data(), l.attn_norm, a.h.data(), t, n, m.config.rms_norm_eps);
  const MatmulTarget qkv[] = {{as_matrix(l.wq), a.q.data(), q_dim},
                              {as_matrix(l.wk), a.k.data(), kv_dim},
                              {as_matrix(l.wv), a.v.data(), kv_dim}};
  matmul_group(qkv, a.h.data(), t, n);
  parallel_for(t, kRowGrain, [&](int64_t r0, int64_t r1) {
    thread_local std::vector<float> tmp, cos, sin;
    for (int64_t r = r0; r < r1; ++r) {
      float* v = a.v.data() + r * kv_dim;
      add_bias(v, l.bv);
      position_row(m, l, il, rows[static_cast<size_t>(r)], a.q.data() + r * q_dim,
                   a.k.data() + r * kv_dim, v, tmp, cos, sin);
    }
  });
  attention(m, il, rows, a.q.data(), a.attn.data());
  matmul(as_matrix(l.wo), a.attn.data(), t, q_dim, a.proj.data(), n);
  parallel_for(t, kRowGrain * 4, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      add_bias(a.proj.data() + r * n, l.bo);
      add_in_place(a.x.data() + r * n, a.proj.data() + r * n, n);
    }
  });
}

void feed_forward_block(const Model& m, const LayerWeights& l, int64_t t, Activations& a) {
  const int64_t n = m.n_embd(), ff = m.config.intermediate_size;
  norm_rows(a.x.data(), l.ffn_norm, a.h.data(), t, n, m.config.rms_norm_eps);
  const MatmulTarget gate_up[] = {{as_matrix(l.ffn_gate), a.gate.data(), ff},
                                  {as_matrix(l.ffn_up), a.up.data(), ff}};
  matmul_group(gate_up, a.h.data(), t, n);
  const KernelTable& k = kernels();
  parallel_for(t * ff, 4096, [&](int64_t i0, int64_t i1) {
    k.swiglu(a.gate.data() + i0, a.up.data() + i0, a.gate.data() + i0, i1 - i0);
  });
  matmul(as_matrix(l.ffn_down), a.gate.data(), t, ff, a.proj.data(), n);
  parallel_for(t, kRowGrain * 4, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) add_in_place(a.x.data() + r * n, a.proj.data() + r * n, n);
  });
}

// The output projection, only for the rows that want logits.
void output_logits(const Model& m, std::span<const BatchRow> rows, Activations& a) {
  const int64_t n = m.n_embd(), nv = m.n_vocab();
  std::vector<size_t> wanted;
  for (size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].logits != nullptr) wanted.push_back(r);
  }
  if (wanted.empty()) return;
  const auto w = static_cast<int64_t>(wanted.size());
  a.logits_in.resize(static_cast<size_t>(w * n));
  for (int64_t i = 0; i < w; ++i) {
    rms_norm(a.x.data() + static_cast<int64_t>(wanted[static_cast<size_t>(i)]) * n,
             m.output_norm.data(), a.logits_in.data() + i * n, n, m.config.rms_norm_eps);
  }
  if (w == 1) {
    matmul(as_matrix(m.output), a.logits_in.data(), 1, n, rows[wanted[0]].logits, nv);
    return;
  }
  a.logits_out.resize(static_cast<size_t>(w * nv));
  matmul(as_matrix(m.output), a.logits_in.data(), w, n, a.logits_out.data(), nv);
  for (int64_t i = 0; i < w; ++i) {
    std::copy_n(a.logits_out.data() + i * nv, nv, rows[wanted[static_cast<size_t>(i)]].logits);
  }
}

// Checks ids and positions, and takes the cache blocks the rows write.
void prepare_rows(const Model& m, std::span<const BatchRow> rows) {
  std::map<KvCache*, int64_t> next;
  for (const BatchRow& r : rows) {
    if (r.token < 0 || r.token >= m.n_vocab())
      throw_param("token id " + std::to_string(r.token) + " is out of range");
    auto it = next.try_emplace(r.cache, r.cache->n_past).first;
    if (r.pos != it->second) throw_param("batch rows of a sequence must be in position order");
    if (r.pos >= r.cache->n_ctx) {
      throw_param("the sequence needs " + std::to_string(r.pos + 1) +
                  " positions but the context holds " + std::to_string(r.cache->n_ctx));
    }
    ++it->second;
    if (!r.cache->prepare_write(r.pos)) {
      throw ApiError(ErrorCode::kServerBusy, "the KV cache is full");
    }
  }
}

}  // namespace

void forward_batch(const Model& m, std::span<const BatchRow> rows) {
  if (m.is_encoder()) throw_param("this model is an encoder; it cannot generate text");
  if (rows.empty()) return;
  prepare_rows(m, rows);
  thread_local Activations a;
  const auto t = static_cast<int64_t>(rows.size());
  const int64_t n = m.n_embd();
  a.resize(m, t);
  const MatrixRef embd = as_matrix(m.token_embd);
  for (int64_t r = 0; r < t; ++r) {
    const int32_t token = rows[static_cast<size_t>(r)].token;
    if (embd.packed != nullptr) {
      q8_packed_row_to_f32(embd, token, a.x.data() + r * n);
    } else {
      kernels().rows_to_f32(embd, token, token + 1, a.x.data() + r * n);
    }
  }
  for (int64_t il = 0; il < static_cast<int64_t>(m.layers.size()); ++il) {
    attention_block(m, m.layers[static_cast<size_t>(il)], il, rows, a);
    feed_forward_block(m, m.layers[static_cast<size_t>(il)], t, a);
  }
  for (const BatchRow& r : rows) r.cache->n_past = std::max(r.cache->n_past, r.pos + 1);
  output_logits(m, rows, a);
}

void decode(const Model& model, KvCache& cache, std::span<const int32_t> tokens, float* logits,
            std::vector<float>* all_logits) {
  if (model.is_encoder()) throw_param("this model is an encoder; it cannot generate text");
  if (cache.n_past + static_cast<int64_t>(tokens.size()) > cache.n_ctx) {
    throw_param("the sequence needs " + std::to_string(cache.n_past + tokens.size()) +
                " positions but the context holds " + std::to_string(cache.n_ctx));
  }
  for (int32_t t : tokens) {
    if (t < 0 || t >= model.n_vocab())
      throw_param("token id " + std::to_string(t) + " is out of range");
  }
  const auto nv = static_cast<size_t>(model.n_vocab());
  if (all_logits != nullptr) all_logits->assign(tokens.size() * nv, 0.0f);
  std::vector<BatchRow> rows;
  for (size_t start = 0; start < tokens.size(); start += kDecodeChunk) {
    const size_t end = std::min(tokens.size(), start + kDecodeChunk);
    rows.clear();
    for (size_t i = start; i < end; ++i) {
      BatchRow row{&cache, tokens[i], cache.n_past + static_cast<int64_t>(i - start), nullptr};
      if (all_logits != nullptr) {
        row.logits = all_logits->data() + i * nv;
      } else if (i + 1 == tokens.size()) {
        row.logits = logits;
      }
      rows.push_back(row);
    }
    forward_batch(model, rows);
  }
  if (all_logits != nullptr && logits != nullptr && !tokens.empty()) {
    std::copy_n(all_logits->data() + (tokens.size() - 1) * nv, nv, logits);
  }
}

}  // namespace hydra::engine
