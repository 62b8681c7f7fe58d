#include "engine/format/ggml_types.h"

#include <cctype>
#include <cstring>
#include <string>

#include "engine/format/format_error.h"

namespace hydra::engine {

namespace {

// Sizes follow ggml's block structs; `computable` marks the types this engine
// has kernels for.
constexpr GgmlTypeInfo kTypes[] = {
    {GgmlType::kF32, "f32", 1, 4, true},
    {GgmlType::kF16, "f16", 1, 2, true},
    {GgmlType::kQ4_0, "q4_0", 32, 18, true},
    {GgmlType::kQ4_1, "q4_1", 32, 20, false},
    {GgmlType::kQ5_0, "q5_0", 32, 22, true},
    {GgmlType::kQ5_1, "q5_1", 32, 24, true},
    {GgmlType::kQ8_0, "q8_0", 32, 34, true},
    {GgmlType::kQ8_1, "q8_1", 32, 36, false},
    {GgmlType::kQ2_K, "q2_K", 256, 84, false},
    {GgmlType::kQ3_K, "q3_K", 256, 110, false},
    {GgmlType::kQ4_K, "q4_K", 256, 144, true},
    {GgmlType::kQ5_K, "q5_K", 256, 176, false},
    {GgmlType::kQ6_K, "q6_K", 256, 210, true},
    {GgmlType::kQ8_K, "q8_K", 256, 292, false},
    {GgmlType::kIQ2_XXS, "iq2_xxs", 256, 66, false},
    {GgmlType::kIQ2_XS, "iq2_xs", 256, 74, false},
    {GgmlType::kIQ3_XXS, "iq3_xxs", 256, 98, false},
    {GgmlType::kIQ1_S, "iq1_s", 256, 50, false},
    {GgmlType::kIQ4_NL, "iq4_nl", 32, 18, false},
    {GgmlType::kIQ3_S, "iq3_s", 256, 110, false},
    {GgmlType::kIQ2_S, "iq2_s", 256, 82, false},
    {GgmlType::kIQ4_XS, "iq4_xs", 256, 136, false},
    {GgmlType::kI8, "i8", 1, 1, false},
    {GgmlType::kI16, "i16", 1, 2, false},
    {GgmlType::kI32, "i32", 1, 4, false},
    {GgmlType::kI64, "i64", 1, 8, false},
    {GgmlType::kF64, "f64", 1, 8, false},
    {GgmlType::kIQ1_M, "iq1_m", 256, 56, false},
    {GgmlType::kBF16, "bf16", 1, 2, true},
    {GgmlType::kTQ1_0, "tq1_0", 256, 54, false},
    {GgmlType::kTQ2_0, "tq2_0", 256, 66, false},
    {GgmlType::kMXFP4, "mxfp4", 32, 17, false},
};

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float float_of(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// Shifts right by `shift` bits rounding to nearest, ties to even.
uint32_t shift_round_even(uint32_t value, uint32_t shift) {
  const uint32_t kept = value >> shift;
  const uint32_t rest = value & ((1u << shift) - 1);
  const uint32_t half = 1u << (shift - 1);
  return kept + ((rest > half || (rest == half && (kept & 1))) ? 1 : 0);
}

}  // namespace

std::optional<GgmlTypeInfo> ggml_type_info(uint32_t raw) {
  for (const auto& t : kTypes) {
    if (static_cast<uint32_t>(t.type) == raw) return t;
  }
  return std::nullopt;
}

const GgmlTypeInfo& type_info(GgmlType type) {
  for (const auto& t : kTypes) {
    if (t.type == type) return t;
  }
  throw FormatError("unknown ggml type " + std::to_string(static_cast<uint32_t>(type)));
}

std::string_view type_name(GgmlType type) {
  return type_info(type).name;
}

std::optional<GgmlType> type_from_name(std::string_view name) {
  for (const auto& t : kTypes) {
    std::string_view n = t.name;
    if (n.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < n.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(n[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return t.type;
  }
  return std::nullopt;
}

size_t row_size(GgmlType type, int64_t n) {
  const auto& info = type_info(type);
  if (n < 0 || n % info.block_size != 0) {
    throw FormatError(std::string("row of ") + std::to_string(n) +
                      " elements is not a multiple of " + info.name + "'s block size " +
                      std::to_string(info.block_size));
  }
  return static_cast<size_t>(n / info.block_size) * info.type_size;
}

float fp16_to_fp32(fp16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  if (exp == 0x1f) return float_of(sign | 0x7f800000u | (mant << 13));  // inf, NaN
  if (exp == 0) {
    if (mant == 0) return float_of(sign);
    // Subnormal half: normalise so the leading one becomes implicit.
    int e = -14;
    while ((mant & 0x400) == 0) {
      mant <<= 1;
      --e;
    }
    mant &= 0x3ff;
    return float_of(sign | (static_cast<uint32_t>(e + 127) << 23) | (mant << 13));
  }
  return float_of(sign | ((exp - 15 + 127) << 23) | (mant << 13));
}

fp16_t fp32_to_fp16(float f) {
  const uint32_t u = bits_of(f);
  const uint32_t sign = (u >> 16) & 0x8000;
  const uint32_t exp = (u >> 23) & 0xff;
  const uint32_t mant = u & 0x7fffff;
  if (exp == 0xff) {
    // Keep NaN a (quiet) NaN whatever its payload; infinity stays infinity.
    return static_cast<fp16_t>(sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >> 13) : 0));
  }
  const int e = static_cast<int>(exp) - 127 + 15;  // biased half exponent
  if (e >= 31) return static_cast<fp16_t>(sign | 0x7c00);
  if (e <= 0) {
    if (e < -10) return static_cast<fp16_t>(sign);  // below half the smallest subnormal
    // Subnormal result; rounding may carry into the smallest normal, which the
    // bit pattern expresses correctly on its own.
    const uint32_t q = shift_round_even(mant | 0x800000, static_cast<uint32_t>(14 - e));
    return static_cast<fp16_t>(sign | q);
  }
  // Normal result; a carry out of the mantissa bumps the exponent, up to inf.
  const uint32_t q = shift_round_even((static_cast<uint32_t>(e) << 23) | mant, 13);
  return static_cast<fp16_t>(sign | q);
}

float bf16_to_fp32(bf16_t h) {
  return float_of(static_cast<uint32_t>(h) << 16);
}

bf16_t fp32_to_bf16(float f) {
  const uint32_t u = bits_of(f);
  if ((u & 0x7fffffff) > 0x7f800000) return static_cast<bf16_t>((u >> 16) | 0x40);
  return static_cast<bf16_t>(shift_round_even(u, 16));
}

}  // namespace hydra::engine
