#pragma once
// ggml tensor types as GGUF numbers them, their exact block layouts and sizes,
// and IEEE half / bfloat16 conversion. Block structs are byte-for-byte the
// ggml layouts (little-endian, no padding), so a GGUF tensor's bytes can be
// read as an array of them.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace hydra::engine {

enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  kTQ1_0 = 34,
  kTQ2_0 = 35,
  kMXFP4 = 39,
};

struct GgmlTypeInfo {
  GgmlType type;
  const char* name;     // ggml's lower-case name, e.g. "q4_K"
  uint32_t block_size;  // elements per block
  uint32_t type_size;   // bytes per block
  bool computable;      // this engine can dequantize it and take dot products
};

// Layout facts for a raw type number read from a file; nullopt when the
// number is not a ggml type this build knows the size of.
std::optional<GgmlTypeInfo> ggml_type_info(uint32_t raw);
// Same for a known enum value (always present).
const GgmlTypeInfo& type_info(GgmlType type);
std::string_view type_name(GgmlType type);
// Parses "q8_0", "Q4_K", "f16", ... (case-insensitive); nullopt if unknown.
std::optional<GgmlType> type_from_name(std::string_view name);
// Bytes of a row of n elements; throws FormatError unless n is a multiple of
// the block size.
size_t row_size(GgmlType type, int64_t n);

constexpr int kQK = 32;     // block size of the 32-element types
constexpr int kQK_K = 256;  // super-block size of the K-quants

// A 16-bit IEEE half or bfloat16, stored as raw bits.
using fp16_t = uint16_t;
using bf16_t = uint16_t;

#pragma pack(push, 1)
struct BlockQ4_0 {  // x = d * (q - 8)
  fp16_t d;
  uint8_t qs[kQK / 2];  // element j in low nibble of qs[j], j+16 in high nibble
};
struct BlockQ5_0 {  // x = d * (q - 16), q 5 bits
  fp16_t d;
  uint8_t qh[4];  // bit j of the little-endian word = 5th bit of element j
  uint8_t qs[kQK / 2];
};
struct BlockQ5_1 {  // x = d * q + m, q 5 bits
  fp16_t d;
  fp16_t m;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
struct BlockQ8_0 {  // x = d * q
  fp16_t d;
  int8_t qs[kQK];
};
// Eight sub-blocks of 32; each has a 6-bit scale and a 6-bit min packed into
// `scales`: x = d * sc * q - dmin * m.
struct BlockQ4_K {
  fp16_t d;
  fp16_t dmin;
  uint8_t scales[12];
  uint8_t qs[kQK_K / 2];
};
// Sixteen sub-blocks of 16 with signed 8-bit scales; q is 6 bits, offset 32:
// x = d * sc * (q - 32).
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];  // low 4 bits
  uint8_t qh[kQK_K / 4];  // high 2 bits
  int8_t scales[kQK_K / 16];
  fp16_t d;
};
#pragma pack(pop)

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ6_K) == 210);

// IEEE 754 binary16 <-> binary32: exact widening; narrowing rounds to nearest
// even, overflows to infinity, keeps subnormals, keeps NaN a NaN.
float fp16_to_fp32(fp16_t h);
fp16_t fp32_to_fp16(float f);
// bfloat16 is the top half of a binary32; narrowing rounds to nearest even
// and turns a NaN into a quiet NaN of the same sign.
float bf16_to_fp32(bf16_t h);
bf16_t fp32_to_bf16(float f);

}  // namespace hydra::engine
