// BERT forward: embeddings (word + position + token type 0) -> LayerNorm ->
// per layer: attention (+bias) -> residual -> LayerNorm -> up (+bias) ->
// GELU -> down (+bias) -> residual -> LayerNorm.
#include "engine/model/encoder.h"

#include <cmath>

#include "common/error.h"
#include "engine/model/ops.h"

namespace hydra::engine {
namespace {

void add_bias(float* y, const std::vector<float>& b) {
  if (!b.empty()) add_in_place(y, b.data(), static_cast<int64_t>(b.size()));
}

// Self-attention of all tokens over all tokens; writes the projected output.
void self_attention(const Model& m, const LayerWeights& l, const std::vector<float>& x,
                    int64_t n_tok, std::vector<float>& out) {
  const int64_t n = m.n_embd(), hd = m.head_dim(), nh = m.n_head();
  std::vector<float> q(n_tok * n), k(n_tok * n), v(n_tok * n), ctx(n), scores(n_tok);
  for (int64_t t = 0; t < n_tok; ++t) {
    matvec(l.wq, &x[t * n], &q[t * n]);
    matvec(l.wk, &x[t * n], &k[t * n]);
    matvec(l.wv, &x[t * n], &v[t * n]);
    add_bias(&q[t * n], l.bq);
    add_bias(&k[t * n], l.bk);
    add_bias(&v[t * n], l.bv);
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  for (int64_t t = 0; t < n_tok; ++t) {
    for (int64_t h = 0; h < nh; ++h) {
      const float* qh = &q[t * n + h * hd];
      for (int64_t j = 0; j < n_tok; ++j) {
        double dot = 0;
        for (int64_t i = 0; i < hd; ++i) dot += static_cast<double>(qh[i]) * k[j * n + h * hd + i];
        scores[j] = static_cast<float>(dot) * scale;
      }
      softmax_in_place(scores.data(), n_tok);
      for (int64_t i = 0; i < hd; ++i) {
        float acc = 0;
        for (int64_t j = 0; j < n_tok; ++j) acc += scores[j] * v[j * n + h * hd + i];
        ctx[h * hd + i] = acc;
      }
    }
    matvec(l.wo, ctx.data(), &out[t * n]);
    add_bias(&out[t * n], l.bo);
  }
}

}  // namespace

std::vector<float> encode_hidden(const Model& m, std::span<const int32_t> tokens) {
  if (!m.is_encoder()) throw_param("this model is not an embedding model");
  const auto n_tok = static_cast<int64_t>(tokens.size());
  if (n_tok == 0) throw_param("input must not be empty");
  if (n_tok > m.position_embd.rows) {
    throw_param("input has " + std::to_string(n_tok) + " tokens; the model takes at most " +
                std::to_string(m.position_embd.rows));
  }
  const int64_t n = m.n_embd(), ff = m.config.intermediate_size;
  const float eps = m.config.rms_norm_eps;
  std::vector<float> x(n_tok * n), row(n), attn(n_tok * n), up(ff), down(n);
  for (int64_t t = 0; t < n_tok; ++t) {
    if (tokens[t] < 0 || tokens[t] >= m.n_vocab()) {
      throw_param("token id " + std::to_string(tokens[t]) + " is out of range");
    }
    float* xt = &x[t * n];
    weight_row(m.token_embd, tokens[t], xt);
    weight_row(m.position_embd, t, row.data());
    add_in_place(xt, row.data(), n);
    if (!m.token_types.empty()) {
      weight_row(m.token_types, 0, row.data());
      add_in_place(xt, row.data(), n);
    }
    layer_norm(xt, m.embd_norm.data(), m.embd_norm_b.data(), xt, n, eps);
  }
  for (const LayerWeights& l : m.layers) {
    self_attention(m, l, x, n_tok, attn);
    for (int64_t t = 0; t < n_tok; ++t) {
      float* xt = &x[t * n];
      add_in_place(xt, &attn[t * n], n);
      layer_norm(xt, l.attn_norm.data(), l.attn_norm_b.data(), xt, n, eps);
      matvec(l.ffn_up, xt, up.data());
      add_bias(up.data(), l.b_up);
      for (float& u : up) u = gelu(u);
      matvec(l.ffn_down, up.data(), down.data());
      add_bias(down.data(), l.b_down);
      add_in_place(xt, down.data(), n);
      layer_norm(xt, l.ffn_norm.data(), l.ffn_norm_b.data(), xt, n, eps);
    }
  }
  return x;
}

std::vector<float> pool(std::span<const float> hidden, int64_t n_embd, Pooling pooling,
                        bool normalize) {
  const auto n_tok = static_cast<int64_t>(hidden.size()) / n_embd;
  std::vector<double> acc(static_cast<size_t>(n_embd), 0.0);
  if (pooling == Pooling::kCls) {
    for (int64_t i = 0; i < n_embd; ++i) acc[i] = hidden[i];
  } else {
    for (int64_t t = 0; t < n_tok; ++t) {
      for (int64_t i = 0; i < n_embd; ++i) acc[i] += hidden[t * n_embd + i];
    }
    for (double& a : acc) a /= static_cast<double>(n_tok);
  }
  double norm = 1.0;
  if (normalize) {
    double ss = 0;
    for (double a : acc) ss += a * a;
    norm = ss > 0 ? std::sqrt(ss) : 1.0;
  }
  std::vector<float> out(acc.size());
  for (size_t i = 0; i < acc.size(); ++i) out[i] = static_cast<float>(acc[i] / norm);
  return out;
}

std::vector<float> embed(const Model& model, std::span<const int32_t> tokens, Pooling pooling,
                         bool normalize) {
  std::vector<float> hidden = encode_hidden(model, tokens);
  if (pooling == Pooling::kNone) pooling = model.default_pooling;
  return pool(hidden, model.n_embd(), pooling, normalize);
}

}  // namespace hydra::engine
