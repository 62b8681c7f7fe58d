// The 32-element block types: Q4_0, Q5_0, Q5_1, Q8_0.
#include <cmath>

#include "engine/format/quant.h"
#include "engine/format/quant_internal.h"

namespace hydra::engine {

using namespace quant_detail;

namespace {

// The value of largest magnitude, with its sign.
float signed_absmax(const float* x, int n) {
  float amax = 0, max = 0;
  for (int j = 0; j < n; ++j) {
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

void pack_q5(const int* q, uint8_t* qh_bytes, uint8_t* qs) {
  uint32_t qh = 0;
  for (int j = 0; j < kQK / 2; ++j) {
    qs[j] = static_cast<uint8_t>((q[j] & 0x0f) | ((q[j + 16] & 0x0f) << 4));
    qh |= static_cast<uint32_t>((q[j] >> 4) & 1) << j;
    qh |= static_cast<uint32_t>((q[j + 16] >> 4) & 1) << (j + 16);
  }
  store_u32le(qh_bytes, qh);
}

}  // namespace

// 5-bit values of a Q5 block: low nibbles from qs, fifth bits from qh.
void unpack_q5(const uint8_t* qh_bytes, const uint8_t* qs, int* q) {
  const uint32_t qh = load_u32le(qh_bytes);
  for (int j = 0; j < kQK / 2; ++j) {
    q[j] = (qs[j] & 0x0f) | static_cast<int>(((qh >> j) & 1) << 4);
    q[j + 16] = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1) << 4);
  }
}

void dequantize_row_q4_0(const BlockQ4_0* src, float* dst, int64_t n) {
  const int64_t nb = block_count(n, kQK, "q4_0");
  for (int64_t i = 0; i < nb; ++i, dst += kQK) {
    const float d = fp16_to_fp32(src[i].d);
    for (int j = 0; j < kQK / 2; ++j) {
      dst[j] = d * static_cast<float>((src[i].qs[j] & 0x0f) - 8);
      dst[j + 16] = d * static_cast<float>((src[i].qs[j] >> 4) - 8);
    }
  }
}

void quantize_row_q4_0(const float* src, BlockQ4_0* dst, int64_t n) {
  const int64_t nb = block_count(n, kQK, "q4_0");
  for (int64_t i = 0; i < nb; ++i, src += kQK) {
    // The extreme value maps to -8, the one level with no positive twin.
    const float d = fp16_round(signed_absmax(src, kQK) / -8.0f);
    const float id = d != 0 ? 1.0f / d : 0.0f;
    dst[i].d = fp32_to_fp16(d);
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = clamp_int(round_int(src[j] * id) + 8, 0, 15);
      const int q1 = clamp_int(round_int(src[j + 16] * id) + 8, 0, 15);
      dst[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

double dot_row_q4_0(const BlockQ4_0* row, const float* x, int64_t n) {
  const int64_t nb = block_count(n, kQK, "q4_0");
  double sum = 0;
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    double block = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      block += ((row[i].qs[j] & 0x0f) - 8) * static_cast<double>(x[j]);
      block += ((row[i].qs[j] >> 4) - 8) * static_cast<double>(x[j + 16]);
    }
    sum += fp16_to_fp32(row[i].d) * block;
  }
  return sum;
}

void dequantize_row_q5_0(const BlockQ5_0* src, float* dst, int64_t n) {
  const int64_t nb = block_count(n, kQK, "q5_0");
  int q[kQK];
  for (int64_t i = 0; i < nb; ++i, dst += kQK) {
    const float d = fp16_to_fp32(src[i].d);
    unpack_q5(src[i].qh, src[i].qs, q);
    for (int j = 0; j < kQK; ++j) dst[j] = d * static_cast<float>(q[j] - 16);
  }
}

void quantize_row_q5_0(const float* src, BlockQ5_0* dst, int64_t n) {
  const int64_t nb = block_count(n, kQK, "q5_0");
  int q[kQK];
  for (int64_t i = 0; i < nb; ++i, src += kQK) {
    const float d = fp16_round(signed_absmax(src, kQK) / -16.0f);
    const float id = d != 0 ? 1.0f / d : 0.0f;
    dst[i].d = fp32_to_fp16(d);
    for (int j = 0; j < kQK; ++j) q[j] = clamp_int(round_int(src[j] * id) + 16, 0, 31);
    pack_q5(q, dst[i].qh, dst[i].qs);
  }
}

double dot_row_q5_0(const BlockQ5_0* row, const float* x, int64_t n) {
  const int64_t nb = block_count(n, kQK, "q5_0");
  int q[kQK];
  double sum = 0;
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    unpack_q5(row[i].qh, row[i].qs, q);
    double block = 0;
    for (int j = 0; j < kQK; ++j) block += (q[j] - 16) * static_cast<double>(x[j]);
    sum += fp16_to_fp32(row[i].d) * block;
  }
  return sum;
}

void dequantize_row_q5_1(const BlockQ5_1* src, float* dst, int64_t n) {
  const int64_t nb = block_count(n, kQK, "q5_1");
  int q[kQK];
  for (int64_t i = 0; i < nb; ++i, dst += kQK) {
    const float d = fp16_to_fp32(src[i].d);
    const float m = fp16_to_fp32(src[i].m);
    unpack_q5(src[i].qh, src[i].qs, q);
    for (int j = 0; j < kQK; ++j) dst[j] = d * static_cast<float>(q[j]) + m;
  }
}

void quantize_row_q5_1(const float* src, BlockQ5_1* dst, int64_t n) {
  const int64_t nb = block_count(n, kQK, "q5_1");
  int q[kQK];
  for (int64_t i = 0; i < nb; ++i, src += kQK) {
    float lo = src[0], hi = src[0];
    for (int j = 1; j < kQK; ++j) {
      lo = std::fmin(lo, src[j]);
      hi = std::fmax(hi, src[j]);
    }
    const float m = fp16_round(lo);
    const float d = fp16_round((hi - m) / 31.0f);
    const float id = d != 0 ? 1.0f / d : 0.0f;
    dst[i].d = fp32_to_fp16(d);
    dst[i].m = fp32_to_fp16(m);
    for (int j = 0; j < kQK; ++j) q[j] = clamp_int(round_int((src[j] - m) * id), 0, 31);
    pack_q5(q, dst[i].qh, dst[i].qs);
  }
}

double dot_row_q5_1(const BlockQ5_1* row, const float* x, int64_t n) {
  const int64_t nb = block_count(n, kQK, "q5_1");
  int q[kQK];
  double sum = 0;
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    unpack_q5(row[i].qh, row[i].qs, q);
    double qx = 0, sx = 0;
    for (int j = 0; j < kQK; ++j) {
      qx += q[j] * static_cast<double>(x[j]);
      sx += x[j];
    }
    sum += fp16_to_fp32(row[i].d) * qx + fp16_to_fp32(row[i].m) * sx;
  }
  return sum;
}

void dequantize_row_q8_0(const BlockQ8_0* src, float* dst, int64_t n) {
  const int64_t nb = block_count(n, kQK, "q8_0");
  for (int64_t i = 0; i < nb; ++i, dst += kQK) {
    const float d = fp16_to_fp32(src[i].d);
    for (int j = 0; j < kQK; ++j) dst[j] = d * static_cast<float>(src[i].qs[j]);
  }
}

void quantize_row_q8_0(const float* src, BlockQ8_0* dst, int64_t n) {
  const int64_t nb = block_count(n, kQK, "q8_0");
  for (int64_t i = 0; i < nb; ++i, src += kQK) {
    const float d = fp16_round(std::fabs(signed_absmax(src, kQK)) / 127.0f);
    const float id = d != 0 ? 1.0f / d : 0.0f;
    dst[i].d = fp32_to_fp16(d);
    for (int j = 0; j < kQK; ++j) {
      dst[i].qs[j] = static_cast<int8_t>(clamp_int(round_int(src[j] * id), -127, 127));
    }
  }
}

double dot_row_q8_0(const BlockQ8_0* row, const float* x, int64_t n) {
  const int64_t nb = block_count(n, kQK, "q8_0");
  double sum = 0;
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    double block = 0;
    for (int j = 0; j < kQK; ++j) block += row[i].qs[j] * static_cast<double>(x[j]);
    sum += fp16_to_fp32(row[i].d) * block;
  }
  return sum;
}

}  // namespace hydra::engine
