// Dispatch by type, and the unquantized float types.
#include "engine/format/quant.h"

#include <cstring>
#include <string>

#include "engine/format/format_error.h"

namespace hydra::engine {

namespace {

[[noreturn]] void not_computable(GgmlType type, const char* what) {
  throw FormatError(std::string(what) + ": weight type " + std::string(type_name(type)) +
                    " is not supported");
}

void check_count(int64_t n) {
  if (n < 0) throw FormatError("negative row length");
}

}  // namespace

void dequantize_row(GgmlType type, const void* src, float* dst, int64_t n) {
  check_count(n);
  const auto* bytes = static_cast<const uint8_t*>(src);
  switch (type) {
    case GgmlType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case GgmlType::kF16:
    case GgmlType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, bytes + 2 * i, 2);
        dst[i] = type == GgmlType::kF16 ? fp16_to_fp32(h) : bf16_to_fp32(h);
      }
      return;
    case GgmlType::kQ4_0:
      return dequantize_row_q4_0(static_cast<const BlockQ4_0*>(src), dst, n);
    case GgmlType::kQ5_0:
      return dequantize_row_q5_0(static_cast<const BlockQ5_0*>(src), dst, n);
    case GgmlType::kQ5_1:
      return dequantize_row_q5_1(static_cast<const BlockQ5_1*>(src), dst, n);
    case GgmlType::kQ8_0:
      return dequantize_row_q8_0(static_cast<const BlockQ8_0*>(src), dst, n);
    case GgmlType::kQ4_K:
      return dequantize_row_q4_k(static_cast<const BlockQ4_K*>(src), dst, n);
    case GgmlType::kQ6_K:
      return dequantize_row_q6_k(static_cast<const BlockQ6_K*>(src), dst, n);
    default:
      not_computable(type, "dequantize");
  }
}

void quantize_row(GgmlType type, const float* src, void* dst, int64_t n) {
  check_count(n);
  auto* bytes = static_cast<uint8_t*>(dst);
  switch (type) {
    case GgmlType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case GgmlType::kF16:
    case GgmlType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = type == GgmlType::kF16 ? fp32_to_fp16(src[i]) : fp32_to_bf16(src[i]);
        std::memcpy(bytes + 2 * i, &h, 2);
      }
      return;
    case GgmlType::kQ4_0:
      return quantize_row_q4_0(src, static_cast<BlockQ4_0*>(dst), n);
    case GgmlType::kQ5_0:
      return quantize_row_q5_0(src, static_cast<BlockQ5_0*>(dst), n);
    case GgmlType::kQ5_1:
      return quantize_row_q5_1(src, static_cast<BlockQ5_1*>(dst), n);
    case GgmlType::kQ8_0:
      return quantize_row_q8_0(src, static_cast<BlockQ8_0*>(dst), n);
    case GgmlType::kQ4_K:
      return quantize_row_q4_k(src, static_cast<BlockQ4_K*>(dst), n);
    case GgmlType::kQ6_K:
      return quantize_row_q6_k(src, static_cast<BlockQ6_K*>(dst), n);
    default:
      not_computable(type, "quantize");
  }
}

double dot_row(GgmlType type, const void* row, const float* x, int64_t n) {
  check_count(n);
  const auto* bytes = static_cast<const uint8_t*>(row);
  double sum = 0;
  switch (type) {
    case GgmlType::kF32:
      for (int64_t i = 0; i < n; ++i) {
        float w;
        std::memcpy(&w, bytes + 4 * i, 4);
        sum += static_cast<double>(w) * x[i];
      }
      return sum;
    case GgmlType::kF16:
    case GgmlType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, bytes + 2 * i, 2);
        const float w = type == GgmlType::kF16 ? fp16_to_fp32(h) : bf16_to_fp32(h);
        sum += static_cast<double>(w) * x[i];
      }
      return sum;
    case GgmlType::kQ4_0:
      return dot_row_q4_0(static_cast<const BlockQ4_0*>(row), x, n);
    case GgmlType::kQ5_0:
      return dot_row_q5_0(static_cast<const BlockQ5_0*>(row), x, n);
    case GgmlType::kQ5_1:
      return dot_row_q5_1(static_cast<const BlockQ5_1*>(row), x, n);
    case GgmlType::kQ8_0:
      return dot_row_q8_0(static_cast<const BlockQ8_0*>(row), x, n);
    case GgmlType::kQ4_K:
      return dot_row_q4_k(static_cast<const BlockQ4_K*>(row), x, n);
    case GgmlType::kQ6_K:
      return dot_row_q6_k(static_cast<const BlockQ6_K*>(row), x, n);
    default:
      not_computable(type, "dot");
  }
}

}  // namespace hydra::engine
