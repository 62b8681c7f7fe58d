// The K-quant super-block types: Q4_K and Q6_K (256 elements per block).
#include <cmath>

#include "engine/format/quant.h"
#include "engine/format/quant_internal.h"

namespace hydra::engine {

using namespace quant_detail;

namespace {

constexpr int kQ4kSub = 32;  // Q4_K: 8 sub-blocks of 32
constexpr int kQ6kSub = 16;  // Q6_K: 16 sub-blocks of 16

void q6_k_store(uint8_t* ql, uint8_t* qh, int i, int q) {
  const int chunk = i / 128, r = i % 128;
  const int l = r % 32, quarter = r / 32;
  uint8_t& low_byte = ql[chunk * 64 + l + (quarter & 1) * 32];
  if (quarter < 2) {
    low_byte = static_cast<uint8_t>((low_byte & 0xf0) | (q & 0x0f));
  } else {
    low_byte = static_cast<uint8_t>((low_byte & 0x0f) | ((q & 0x0f) << 4));
  }
  qh[chunk * 32 + l] |= static_cast<uint8_t>(((q >> 4) & 3) << (2 * quarter));
}

}  // namespace

// Element i of a Q4_K block: chunks of 64 elements share 32 bytes, the first
// 32 elements in the low nibbles, the next 32 in the high nibbles.
int q4_k_quant(const uint8_t* qs, int i) {
  const uint8_t byte = qs[(i / 64) * 32 + i % 32];
  return (i % 64) < 32 ? (byte & 0x0f) : (byte >> 4);
}

// Element i of a Q6_K block (0..63): chunks of 128 elements share 64 bytes of
// ql and 32 bytes of qh; each ql byte holds elements l and l+64 of the chunk,
// each qh byte the high bits of elements l, l+32, l+64, l+96.
int q6_k_quant(const uint8_t* ql, const uint8_t* qh, int i) {
  const int chunk = i / 128, r = i % 128;
  const int l = r % 32, quarter = r / 32;  // quarter 0..3 of the chunk
  const uint8_t low_byte = ql[chunk * 64 + l + (quarter & 1) * 32];
  const int low = quarter < 2 ? (low_byte & 0x0f) : (low_byte >> 4);
  const int high = (qh[chunk * 32 + l] >> (2 * quarter)) & 3;
  return low | (high << 4);
}

void q4_k_scale_min(const uint8_t* q, int j, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = q[j] & 63;
    *min = q[j + 4] & 63;
  } else {
    *scale = static_cast<uint8_t>((q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4));
    *min = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

void q4_k_pack_scales(const uint8_t* scale, const uint8_t* min, uint8_t* q) {
  for (int j = 0; j < 4; ++j) {
    q[j] = static_cast<uint8_t>((scale[j] & 63) | ((scale[j + 4] >> 4) << 6));
    q[j + 4] = static_cast<uint8_t>((min[j] & 63) | ((min[j + 4] >> 4) << 6));
    q[j + 8] = static_cast<uint8_t>((scale[j + 4] & 0x0f) | ((min[j + 4] & 0x0f) << 4));
  }
}

void dequantize_row_q4_k(const BlockQ4_K* src, float* dst, int64_t n) {
  const int64_t nb = block_count(n, kQK_K, "q4_K");
  for (int64_t b = 0; b < nb; ++b, dst += kQK_K) {
    const float d = fp16_to_fp32(src[b].d), dmin = fp16_to_fp32(src[b].dmin);
    for (int j = 0; j < kQK_K / kQ4kSub; ++j) {
      uint8_t sc, m;
      q4_k_scale_min(src[b].scales, j, &sc, &m);
      const float scale = d * sc, offset = dmin * m;
      for (int k = 0; k < kQ4kSub; ++k) {
        const int i = j * kQ4kSub + k;
        dst[i] = scale * static_cast<float>(q4_k_quant(src[b].qs, i)) - offset;
      }
    }
  }
}

void quantize_row_q4_k(const float* src, BlockQ4_K* dst, int64_t n) {
  const int64_t nb = block_count(n, kQK_K, "q4_K");
  constexpr int kSubs = kQK_K / kQ4kSub;
  for (int64_t b = 0; b < nb; ++b, src += kQK_K) {
    // Per sub-block: x ~ step * q - offset with offset = -min(0, lowest).
    float lowest[kSubs], highest[kSubs];
    float max_offset = 0, max_range = 0;
    for (int j = 0; j < kSubs; ++j) {
      lowest[j] = 0;
      highest[j] = 0;
      for (int k = 0; k < kQ4kSub; ++k) {
        lowest[j] = std::fmin(lowest[j], src[j * kQ4kSub + k]);
        highest[j] = std::fmax(highest[j], src[j * kQ4kSub + k]);
      }
      max_offset = std::fmax(max_offset, -lowest[j]);
      max_range = std::fmax(max_range, highest[j] - lowest[j]);
    }
    const float dmin = fp16_round(max_offset / 63.0f);
    const float d = fp16_round(max_range / 15.0f / 63.0f);
    uint8_t sc[kSubs], mn[kSubs];
    for (int j = 0; j < kSubs; ++j) {
      mn[j] = static_cast<uint8_t>(dmin > 0 ? clamp_int(round_int(-lowest[j] / dmin), 0, 63) : 0);
      // Pick the step after the offset so the top of the range still fits in 15.
      const float need = (highest[j] + dmin * mn[j]) / 15.0f;
      sc[j] =
          static_cast<uint8_t>(d > 0 ? clamp_int(static_cast<int>(std::ceil(need / d)), 0, 63) : 0);
    }
    dst[b].d = fp32_to_fp16(d);
    dst[b].dmin = fp32_to_fp16(dmin);
    q4_k_pack_scales(sc, mn, dst[b].scales);
    for (int j = 0; j < kSubs; ++j) {
      const float step = d * sc[j], offset = dmin * mn[j];
      for (int k = 0; k < kQ4kSub; ++k) {
        const int i = j * kQ4kSub + k;
        const int q = step > 0 ? clamp_int(round_int((src[i] + offset) / step), 0, 15) : 0;
        uint8_t& byte = dst[b].qs[(i / 64) * 32 + i % 32];
        if ((i % 64) < 32) {
          byte = static_cast<uint8_t>((byte & 0xf0) | q);
        } else {
          byte = static_cast<uint8_t>((byte & 0x0f) | (q << 4));
        }
      }
    }
  }
}

double dot_row_q4_k(const BlockQ4_K* row, const float* x, int64_t n) {
  const int64_t nb = block_count(n, kQK_K, "q4_K");
  double sum = 0;
  for (int64_t b = 0; b < nb; ++b, x += kQK_K) {
    const double d = fp16_to_fp32(row[b].d), dmin = fp16_to_fp32(row[b].dmin);
    for (int j = 0; j < kQK_K / kQ4kSub; ++j) {
      uint8_t sc, m;
      q4_k_scale_min(row[b].scales, j, &sc, &m);
      double qx = 0, sx = 0;
      for (int k = 0; k < kQ4kSub; ++k) {
        const int i = j * kQ4kSub + k;
        qx += q4_k_quant(row[b].qs, i) * static_cast<double>(x[i]);
        sx += x[i];
      }
      sum += d * sc * qx - dmin * m * sx;
    }
  }
  return sum;
}

void dequantize_row_q6_k(const BlockQ6_K* src, float* dst, int64_t n) {
  const int64_t nb = block_count(n, kQK_K, "q6_K");
  for (int64_t b = 0; b < nb; ++b, dst += kQK_K) {
    const float d = fp16_to_fp32(src[b].d);
    for (int i = 0; i < kQK_K; ++i) {
      const int q = q6_k_quant(src[b].ql, src[b].qh, i) - 32;
      dst[i] = d * static_cast<float>(src[b].scales[i / kQ6kSub]) * static_cast<float>(q);
    }
  }
}

void quantize_row_q6_k(const float* src, BlockQ6_K* dst, int64_t n) {
  const int64_t nb = block_count(n, kQK_K, "q6_K");
  constexpr int kSubs = kQK_K / kQ6kSub;
  for (int64_t b = 0; b < nb; ++b, src += kQK_K) {
    // Each sub-block's extreme value maps to -32, the level without a
    // positive twin, so the sub-block scale carries the sign.
    float step[kSubs];
    float max_step = 0;
    for (int j = 0; j < kSubs; ++j) {
      float amax = 0, extreme = 0;
      for (int k = 0; k < kQ6kSub; ++k) {
        const float v = src[j * kQ6kSub + k];
        if (std::fabs(v) > amax) {
          amax = std::fabs(v);
          extreme = v;
        }
      }
      step[j] = extreme / -32.0f;
      max_step = std::fmax(max_step, std::fabs(step[j]));
    }
    const float d = fp16_round(max_step / 127.0f);
    BlockQ6_K& out = dst[b];
    std::memset(&out, 0, sizeof out);
    out.d = fp32_to_fp16(d);
    for (int j = 0; j < kSubs; ++j) {
      // Round the scale's magnitude up so no element overflows the 6 bits.
      int sc = d > 0 ? clamp_int(static_cast<int>(std::ceil(std::fabs(step[j]) / d)), 0, 127) : 0;
      if (step[j] < 0) sc = -sc;
      out.scales[j] = static_cast<int8_t>(sc);
      const float s = d * static_cast<float>(sc);
      for (int k = 0; k < kQ6kSub; ++k) {
        const int i = j * kQ6kSub + k;
        const int q = s != 0 ? clamp_int(round_int(src[i] / s), -32, 31) : 0;
        q6_k_store(out.ql, out.qh, i, q + 32);
      }
    }
  }
}

double dot_row_q6_k(const BlockQ6_K* row, const float* x, int64_t n) {
  const int64_t nb = block_count(n, kQK_K, "q6_K");
  double sum = 0;
  for (int64_t b = 0; b < nb; ++b, x += kQK_K) {
    double block = 0;
    for (int j = 0; j < kQK_K / kQ6kSub; ++j) {
      double sub = 0;
      for (int k = 0; k < kQ6kSub; ++k) {
        const int i = j * kQ6kSub + k;
        sub += (q6_k_quant(row[b].ql, row[b].qh, i) - 32) * static_cast<double>(x[i]);
      }
      block += row[b].scales[j] * sub;
    }
    sum += fp16_to_fp32(row[b].d) * block;
  }
  return sum;
}

}  // namespace hydra::engine
