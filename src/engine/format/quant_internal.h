#pragma once
// Helpers shared by the quantization kernels (not part of the public API).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "engine/format/format_error.h"
#include "engine/format/ggml_types.h"

namespace hydra::engine::quant_detail {

inline int64_t block_count(int64_t n, int block, const char* type) {
  if (n < 0 || n % block != 0) {
    throw FormatError(std::string(type) + ": row of " + std::to_string(n) +
                      " elements is not a multiple of " + std::to_string(block));
  }
  return n / block;
}

inline int clamp_int(int v, int lo, int hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

// Round half away from zero, like roundf, into an int.
inline int round_int(float v) {
  return static_cast<int>(std::lround(v));
}

inline uint32_t load_u32le(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

inline void store_u32le(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// The value a scale really has once stored as fp16; quantizers divide by
// this so rounding of the scale does not bias every element.
inline float fp16_round(float v) {
  return fp16_to_fp32(fp32_to_fp16(v));
}

}  // namespace hydra::engine::quant_detail
