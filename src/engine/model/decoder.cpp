// Decoder-only transformer forward pass, one token at a time:
// RMSNorm -> QKV (+bias) -> [q/k norm] -> RoPE -> causal GQA attention over
// the cache -> output projection -> residual -> RMSNorm -> SwiGLU -> residual.
#include "engine/model/decoder.h"

#include <cmath>

#include "common/error.h"
#include "engine/model/ops.h"
#include "engine/model/rope.h"

namespace hydra::engine {
namespace {

struct Scratch {
  std::vector<float> x, h, q, k, v, att, attn_out, proj, gate, up, scores, cos, sin, tmp;

  explicit Scratch(const Model& m) {
    const auto n = static_cast<size_t>(m.n_embd());
    const auto q_dim = static_cast<size_t>(m.n_head() * m.head_dim());
    const auto kv_dim = static_cast<size_t>(m.n_head_kv() * m.head_dim());
    const auto ff = static_cast<size_t>(m.config.intermediate_size);
    x.resize(n);
    h.resize(n);
    proj.resize(n);
    q.resize(q_dim);
    attn_out.resize(q_dim);
    k.resize(kv_dim);
    v.resize(kv_dim);
    gate.resize(ff);
    up.resize(ff);
    cos.resize(static_cast<size_t>(m.head_dim() / 2));
    sin.resize(cos.size());
  }
};

void add_bias(std::vector<float>& y, const std::vector<float>& b) {
  if (!b.empty()) add_in_place(y.data(), b.data(), static_cast<int64_t>(y.size()));
}

void head_norm(float* x, const std::vector<float>& w, int64_t n_heads, int64_t hd, float eps) {
  if (w.empty()) return;
  for (int64_t h = 0; h < n_heads; ++h) rms_norm(x + h * hd, w.data(), x + h * hd, hd, eps);
}

// q, k, v of the current token, positioned, with k and v stored in the cache.
void project_qkv(const Model& m, const LayerWeights& l, KvCache& cache, int64_t il, int64_t pos,
                 Scratch& s) {
  const int64_t hd = m.head_dim();
  matvec(l.wq, s.h.data(), s.q.data());
  matvec(l.wk, s.h.data(), s.k.data());
  matvec(l.wv, s.h.data(), s.v.data());
  add_bias(s.q, l.bq);
  add_bias(s.k, l.bk);
  add_bias(s.v, l.bv);
  // GGUF llama files store q/k rows in interleaved-pair order; turning them
  // into halves here keeps the cache, and every sum over it, in one layout
  // for every source, so a GGUF and a safetensors copy agree bit for bit.
  if (m.rope_layout == RopeLayout::kInterleaved) {
    deinterleave_heads(s.q.data(), m.n_head(), hd, s.tmp);
    deinterleave_heads(s.k.data(), m.n_head_kv(), hd, s.tmp);
  }
  head_norm(s.q.data(), l.q_norm, m.n_head(), hd, m.config.rms_norm_eps);
  head_norm(s.k.data(), l.k_norm, m.n_head_kv(), hd, m.config.rms_norm_eps);
  rope_angles(rope_params(m.config), pos, s.cos.data(), s.sin.data());
  rope_neox(s.q.data(), m.n_head(), hd, s.cos.data(), s.sin.data());
  rope_neox(s.k.data(), m.n_head_kv(), hd, s.cos.data(), s.sin.data());
  std::copy(s.k.begin(), s.k.end(), cache.k_at(il, pos));
  std::copy(s.v.begin(), s.v.end(), cache.v_at(il, pos));
}

// Causal attention of the current query over positions 0..pos; query heads
// share key/value heads in groups (GQA).
void attend(const Model& m, KvCache& cache, int64_t il, int64_t pos, Scratch& s) {
  const int64_t hd = m.head_dim(), group = m.n_head() / m.n_head_kv();
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  s.scores.resize(static_cast<size_t>(pos + 1));
  for (int64_t h = 0; h < m.n_head(); ++h) {
    const float* q = s.q.data() + h * hd;
    const int64_t kv_off = (h / group) * hd;
    for (int64_t j = 0; j <= pos; ++j) {
      const float* k = cache.k_at(il, j) + kv_off;
      double dot = 0;
      for (int64_t i = 0; i < hd; ++i) dot += static_cast<double>(q[i]) * k[i];
      s.scores[j] = static_cast<float>(dot) * scale;
    }
    softmax_in_place(s.scores.data(), pos + 1);
    float* out = s.attn_out.data() + h * hd;
    for (int64_t i = 0; i < hd; ++i) out[i] = 0;
    for (int64_t j = 0; j <= pos; ++j) {
      const float* v = cache.v_at(il, j) + kv_off;
      for (int64_t i = 0; i < hd; ++i) out[i] += s.scores[j] * v[i];
    }
  }
}

void feed_forward(const LayerWeights& l, Scratch& s) {
  matvec(l.ffn_gate, s.h.data(), s.gate.data());
  matvec(l.ffn_up, s.h.data(), s.up.data());
  for (size_t i = 0; i < s.gate.size(); ++i) s.gate[i] = silu(s.gate[i]) * s.up[i];
  matvec(l.ffn_down, s.gate.data(), s.proj.data());
}

void forward_token(const Model& m, KvCache& cache, int32_t token, float* logits, Scratch& s) {
  const int64_t n = m.n_embd(), pos = cache.n_past;
  const float eps = m.config.rms_norm_eps;
  weight_row(m.token_embd, token, s.x.data());
  for (int64_t il = 0; il < static_cast<int64_t>(m.layers.size()); ++il) {
    const LayerWeights& l = m.layers[il];
    rms_norm(s.x.data(), l.attn_norm.data(), s.h.data(), n, eps);
    project_qkv(m, l, cache, il, pos, s);
    attend(m, cache, il, pos, s);
    matvec(l.wo, s.attn_out.data(), s.proj.data());
    add_bias(s.proj, l.bo);
    add_in_place(s.x.data(), s.proj.data(), n);
    rms_norm(s.x.data(), l.ffn_norm.data(), s.h.data(), n, eps);
    feed_forward(l, s);
    add_in_place(s.x.data(), s.proj.data(), n);
  }
  cache.n_past = pos + 1;
  if (logits == nullptr) return;
  rms_norm(s.x.data(), m.output_norm.data(), s.h.data(), n, eps);
  matvec(m.output, s.h.data(), logits);
}

}  // namespace

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
  Scratch s(model);
  const auto nv = static_cast<size_t>(model.n_vocab());
  if (all_logits != nullptr) all_logits->assign(tokens.size() * nv, 0.0f);
  std::vector<float> tmp;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const bool last = i + 1 == tokens.size();
    float* out = nullptr;
    if (all_logits != nullptr) {
      out = all_logits->data() + i * nv;
    } else if (last) {
      out = logits;
    }
    forward_token(model, cache, tokens[i], out, s);
    if (last && all_logits != nullptr && logits != nullptr) {
      std::copy(out, out + nv, logits);
    }
  }
}

}  // namespace hydra::engine
