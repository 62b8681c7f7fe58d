#include "reference.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

#include "engine/format/gguf.h"
#include "engine/kernels/kernels.h"

namespace hydra::engine::test {
namespace {

using Vec = std::vector<double>;

// What the engine multiplies Q8_0 and Q4_0 weights with, as llama.cpp does: the input
// rounded to int8 steps of max|x| / 127 per block of 32.
Vec int8_steps(const Vec& x) {
  Vec q(x.size());
  for (size_t b = 0; b < x.size(); b += 32) {
    double amax = 0;
    for (size_t i = b; i < b + 32; ++i) amax = std::max(amax, std::fabs(x[i]));
    const double d = static_cast<float>(amax) / 127.0f;
    for (size_t i = b; i < b + 32; ++i) q[i] = d == 0 ? 0 : std::nearbyint(x[i] / d) * d;
  }
  return q;
}

// What the engine multiplies BF16 weights with on a table with BF16
// products: the input rounded to bf16 (nearest even).
Vec bf16_steps(const Vec& x) {
  Vec q(x.size());
  for (size_t i = 0; i < x.size(); ++i) q[i] = bf16_to_fp32(fp32_to_bf16(static_cast<float>(x[i])));
  return q;
}

using Rounding = ReferenceModel::Rounding;

Vec matvec(const std::vector<double>& w, int64_t rows, int64_t cols, const Vec& x_in,
           Rounding rounding = Rounding::kNone) {
  const Vec x = rounding == Rounding::kInt8   ? int8_steps(x_in)
                : rounding == Rounding::kBf16 ? bf16_steps(x_in)
                                              : x_in;
  Vec y(static_cast<size_t>(rows), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    double acc = 0;
    for (int64_t c = 0; c < cols; ++c) acc += w[r * cols + c] * x[c];
    y[r] = acc;
  }
  return y;
}

Vec rms(const Vec& x, const std::vector<double>& w, double eps) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double s = 1.0 / std::sqrt(ss / static_cast<double>(x.size()) + eps);
  Vec y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * s * w[i];
  return y;
}

Vec layernorm(const Vec& x, const std::vector<double>& w, const std::vector<double>& b,
              double eps) {
  double mean = 0, var = 0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(x.size());
  for (double v : x) var += (v - mean) * (v - mean);
  var /= static_cast<double>(x.size());
  Vec y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = (x[i] - mean) / std::sqrt(var + eps) * w[i] + b[i];
  return y;
}

void add(Vec& x, const std::vector<double>& b) {
  if (b.empty()) return;
  for (size_t i = 0; i < x.size(); ++i) x[i] += b[i];
}

// Rotates one head; `interleaved` pairs (2i, 2i+1), otherwise (i, i + d/2).
void rotate(double* v, int64_t d, int64_t pos, double theta, double scale, bool interleaved) {
  for (int64_t i = 0; i < d / 2; ++i) {
    const double angle = (pos / scale) * std::pow(theta, -2.0 * i / d);
    const int64_t a = interleaved ? 2 * i : i, b = interleaved ? 2 * i + 1 : i + d / 2;
    const double x0 = v[a], x1 = v[b];
    v[a] = x0 * std::cos(angle) - x1 * std::sin(angle);
    v[b] = x0 * std::sin(angle) + x1 * std::cos(angle);
  }
}

}  // namespace

ReferenceModel::Tensor ReferenceModel::get(const std::string& name, bool required) const {
  const auto& f = *static_cast<const GgufFile*>(file_);
  const GgufTensor* t = f.find_tensor(name);
  if (t == nullptr) {
    if (required) throw std::runtime_error("reference: missing " + name);
    return {};
  }
  std::vector<float> w = tensor_to_f32(*t);
  const Rounding rounding = has_int8_product(t->type)                      ? Rounding::kInt8
                            : t->type == GgmlType::kBF16 && bf16_products_ ? Rounding::kBf16
                                                                           : Rounding::kNone;
  return {t->n_rows(), t->ne[0], Mat(w.begin(), w.end()), rounding};
}

ReferenceModel::ReferenceModel(const std::string& path, bool bf16_products)
    : bf16_products_(bf16_products) {
  auto file = std::make_shared<GgufFile>(read_gguf(path));
  keep_ = file;
  file_ = file.get();
  const GgufFile& f = *file;
  arch_ = f.get_str("general.architecture");
  const std::string a = arch_;
  n_layer_ = f.get_u32(a + ".block_count");
  n_embd = f.get_u32(a + ".embedding_length");
  n_head_ = f.get_u32(a + ".attention.head_count");
  n_head_kv_ = f.get_u32(a + ".attention.head_count_kv", static_cast<uint32_t>(n_head_));
  head_dim_ = f.get_u32(a + ".attention.key_length", static_cast<uint32_t>(n_embd / n_head_));
  const bool bert = a == "bert";
  eps_ = bert ? f.get_f32(a + ".attention.layer_norm_epsilon")
              : f.get_f32(a + ".attention.layer_norm_rms_epsilon");
  theta_ = f.get_f32(a + ".rope.freq_base", 10000.0f);
  if (f.get_str(a + ".rope.scaling.type", "") == "linear") {
    scale_ = f.get_f32(a + ".rope.scaling.factor");
  }
  interleaved_ = a == "llama";
  embd_ = get("token_embd.weight");
  n_vocab = embd_.rows;
  if (bert) {
    pos_ = get("position_embd.weight");
    types_ = get("token_types.weight");
    embd_norm_ = get("token_embd_norm.weight");
    embd_norm_b_ = get("token_embd_norm.bias");
  } else {
    out_norm_ = get("output_norm.weight");
    out_ = get("output.weight", false);
    if (out_.w.empty()) out_ = embd_;
  }
  for (int64_t il = 0; il < n_layer_; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    Layer l;
    l.q = get(p + "attn_q.weight");
    l.k = get(p + "attn_k.weight");
    l.v = get(p + "attn_v.weight");
    l.o = get(p + "attn_output.weight");
    l.bq = get(p + "attn_q.bias", false);
    l.bk = get(p + "attn_k.bias", false);
    l.bv = get(p + "attn_v.bias", false);
    l.bo = get(p + "attn_output.bias", false);
    l.up = get(p + "ffn_up.weight");
    l.down = get(p + "ffn_down.weight");
    if (bert) {
      l.attn_norm = get(p + "attn_output_norm.weight");
      l.attn_norm_b = get(p + "attn_output_norm.bias");
      l.ffn_norm = get(p + "layer_output_norm.weight");
      l.ffn_norm_b = get(p + "layer_output_norm.bias");
      l.b_up = get(p + "ffn_up.bias");
      l.b_down = get(p + "ffn_down.bias");
    } else {
      l.attn_norm = get(p + "attn_norm.weight");
      l.ffn_norm = get(p + "ffn_norm.weight");
      l.gate = get(p + "ffn_gate.weight");
      l.q_norm = get(p + "attn_q_norm.weight", false);
      l.k_norm = get(p + "attn_k_norm.weight", false);
    }
    layers_.push_back(std::move(l));
  }
}

std::vector<std::vector<double>> ReferenceModel::logits(const std::vector<int32_t>& tokens) const {
  std::vector<std::vector<double>> out;
  for (const Vec& h : decoder_hidden(tokens)) out.push_back(last_hidden_logits(h));
  return out;
}

std::vector<std::vector<double>> ReferenceModel::decoder_hidden(
    const std::vector<int32_t>& tokens) const {
  const auto T = static_cast<int64_t>(tokens.size());
  const int64_t hd = head_dim_;
  std::vector<Vec> x(T);
  for (int64_t t = 0; t < T; ++t) {
    x[t].assign(embd_.w.begin() + tokens[t] * n_embd, embd_.w.begin() + (tokens[t] + 1) * n_embd);
  }
  for (const Layer& l : layers_) {
    std::vector<Vec> q(T), k(T), v(T);
    for (int64_t t = 0; t < T; ++t) {
      Vec h = rms(x[t], l.attn_norm.w, eps_);
      q[t] = matvec(l.q.w, l.q.rows, l.q.cols, h, l.q.rounding);
      k[t] = matvec(l.k.w, l.k.rows, l.k.cols, h, l.k.rounding);
      v[t] = matvec(l.v.w, l.v.rows, l.v.cols, h, l.v.rounding);
      add(q[t], l.bq.w);
      add(k[t], l.bk.w);
      add(v[t], l.bv.w);
      for (int64_t h0 = 0; h0 < n_head_; ++h0) {
        if (!l.q_norm.w.empty()) {
          Vec part(q[t].begin() + h0 * hd, q[t].begin() + (h0 + 1) * hd);
          part = rms(part, l.q_norm.w, eps_);
          std::copy(part.begin(), part.end(), q[t].begin() + h0 * hd);
        }
        rotate(&q[t][h0 * hd], hd, t, theta_, scale_, interleaved_);
      }
      for (int64_t h0 = 0; h0 < n_head_kv_; ++h0) {
        if (!l.k_norm.w.empty()) {
          Vec part(k[t].begin() + h0 * hd, k[t].begin() + (h0 + 1) * hd);
          part = rms(part, l.k_norm.w, eps_);
          std::copy(part.begin(), part.end(), k[t].begin() + h0 * hd);
        }
        rotate(&k[t][h0 * hd], hd, t, theta_, scale_, interleaved_);
      }
    }
    for (int64_t t = 0; t < T; ++t) {
      Vec att(static_cast<size_t>(n_head_ * hd), 0.0);
      for (int64_t h0 = 0; h0 < n_head_; ++h0) {
        const int64_t kh = h0 / (n_head_ / n_head_kv_);
        Vec s(t + 1);
        double mx = -1e300;
        for (int64_t j = 0; j <= t; ++j) {
          double d = 0;
          for (int64_t i = 0; i < hd; ++i) d += q[t][h0 * hd + i] * k[j][kh * hd + i];
          s[j] = d / std::sqrt(static_cast<double>(hd));
          mx = std::max(mx, s[j]);
        }
        double z = 0;
        for (double& e : s) z += (e = std::exp(e - mx));
        for (int64_t j = 0; j <= t; ++j) {
          for (int64_t i = 0; i < hd; ++i) att[h0 * hd + i] += s[j] / z * v[j][kh * hd + i];
        }
      }
      Vec o = matvec(l.o.w, l.o.rows, l.o.cols, att, l.o.rounding);
      add(o, l.bo.w);
      add(x[t], o);
      Vec h = rms(x[t], l.ffn_norm.w, eps_);
      Vec g = matvec(l.gate.w, l.gate.rows, l.gate.cols, h, l.gate.rounding);
      Vec u = matvec(l.up.w, l.up.rows, l.up.cols, h, l.up.rounding);
      for (size_t i = 0; i < g.size(); ++i) g[i] = g[i] / (1 + std::exp(-g[i])) * u[i];
      add(x[t], matvec(l.down.w, l.down.rows, l.down.cols, g, l.down.rounding));
    }
  }
  return x;
}

std::vector<double> ReferenceModel::last_hidden_logits(const std::vector<double>& x) const {
  return matvec(out_.w, out_.rows, out_.cols, rms(x, out_norm_.w, eps_), out_.rounding);
}

std::vector<int32_t> ReferenceModel::greedy(std::vector<int32_t> tokens, int n_new) const {
  std::vector<int32_t> out;
  for (int i = 0; i < n_new; ++i) {
    const Vec last = last_hidden_logits(decoder_hidden(tokens).back());
    int32_t best = 0;
    for (int32_t j = 1; j < static_cast<int32_t>(last.size()); ++j) {
      if (last[j] > last[best]) best = j;
    }
    out.push_back(best);
    tokens.push_back(best);
  }
  return out;
}

std::vector<std::vector<double>> ReferenceModel::encode(const std::vector<int32_t>& tokens) const {
  const auto T = static_cast<int64_t>(tokens.size());
  const int64_t hd = head_dim_, n = n_embd;
  std::vector<Vec> x(T);
  for (int64_t t = 0; t < T; ++t) {
    x[t].resize(n);
    for (int64_t i = 0; i < n; ++i) {
      x[t][i] = embd_.w[tokens[t] * n + i] + pos_.w[t * n + i] + types_.w[i];
    }
    x[t] = layernorm(x[t], embd_norm_.w, embd_norm_b_.w, eps_);
  }
  for (const Layer& l : layers_) {
    std::vector<Vec> q(T), k(T), v(T);
    for (int64_t t = 0; t < T; ++t) {
      q[t] = matvec(l.q.w, n, n, x[t], l.q.rounding);
      k[t] = matvec(l.k.w, n, n, x[t], l.k.rounding);
      v[t] = matvec(l.v.w, n, n, x[t], l.v.rounding);
      add(q[t], l.bq.w);
      add(k[t], l.bk.w);
      add(v[t], l.bv.w);
    }
    std::vector<Vec> next(T);
    for (int64_t t = 0; t < T; ++t) {
      Vec att(n, 0.0);
      for (int64_t h0 = 0; h0 < n_head_; ++h0) {
        Vec s(T);
        double mx = -1e300, z = 0;
        for (int64_t j = 0; j < T; ++j) {
          double d = 0;
          for (int64_t i = 0; i < hd; ++i) d += q[t][h0 * hd + i] * k[j][h0 * hd + i];
          s[j] = d / std::sqrt(static_cast<double>(hd));
          mx = std::max(mx, s[j]);
        }
        for (double& e : s) z += (e = std::exp(e - mx));
        for (int64_t j = 0; j < T; ++j) {
          for (int64_t i = 0; i < hd; ++i) att[h0 * hd + i] += s[j] / z * v[j][h0 * hd + i];
        }
      }
      Vec o = matvec(l.o.w, n, n, att, l.o.rounding);
      add(o, l.bo.w);
      for (int64_t i = 0; i < n; ++i) o[i] += x[t][i];
      Vec h = layernorm(o, l.attn_norm.w, l.attn_norm_b.w, eps_);
      Vec u = matvec(l.up.w, l.up.rows, l.up.cols, h, l.up.rounding);
      add(u, l.b_up.w);
      for (double& e : u) e = 0.5 * e * (1 + std::erf(e / std::sqrt(2.0)));
      Vec d = matvec(l.down.w, l.down.rows, l.down.cols, u, l.down.rounding);
      add(d, l.b_down.w);
      for (int64_t i = 0; i < n; ++i) d[i] += h[i];
      next[t] = layernorm(d, l.ffn_norm.w, l.ffn_norm_b.w, eps_);
    }
    x = next;
  }
  return x;
}

double logit_tolerance(GgmlType type, const std::vector<std::vector<double>>& want) {
  if (!has_int8_product(type)) return 1e-3;
  double largest = 0;
  for (const std::vector<double>& row : want) {
    for (double v : row) largest = std::max(largest, std::fabs(v));
  }
  return 0.03 * largest;
}

}  // namespace hydra::engine::test
