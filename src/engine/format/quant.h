#pragma once
// Scalar reference kernels for every weight type the engine computes with:
// they define what a block means. Fast kernels elsewhere are checked
// against these. Rows hold n elements, n a multiple of the type's block size
// (row_size() in ggml_types.h gives the bytes); violations throw FormatError.
#include <cstdint>

#include "engine/format/ggml_types.h"

namespace hydra::engine {

// One row of `type` to floats.
void dequantize_row(GgmlType type, const void* src, float* dst, int64_t n);
// Floats to one row of `type`. For the K-quants this is a plain reference
// quantizer (no search for the best scales): correct and bounded, not optimal.
void quantize_row(GgmlType type, const float* src, void* dst, int64_t n);
// sum_i row[i] * x[i], accumulated in double, straight from the blocks.
double dot_row(GgmlType type, const void* row, const float* x, int64_t n);

// Per-type kernels (dispatch targets; exposed for tests and benchmarks).
void dequantize_row_q4_0(const BlockQ4_0* src, float* dst, int64_t n);
void dequantize_row_q5_0(const BlockQ5_0* src, float* dst, int64_t n);
void dequantize_row_q5_1(const BlockQ5_1* src, float* dst, int64_t n);
void dequantize_row_q8_0(const BlockQ8_0* src, float* dst, int64_t n);
void dequantize_row_q4_k(const BlockQ4_K* src, float* dst, int64_t n);
void dequantize_row_q6_k(const BlockQ6_K* src, float* dst, int64_t n);

void quantize_row_q4_0(const float* src, BlockQ4_0* dst, int64_t n);
void quantize_row_q5_0(const float* src, BlockQ5_0* dst, int64_t n);
void quantize_row_q5_1(const float* src, BlockQ5_1* dst, int64_t n);
void quantize_row_q8_0(const float* src, BlockQ8_0* dst, int64_t n);
void quantize_row_q4_k(const float* src, BlockQ4_K* dst, int64_t n);
void quantize_row_q6_k(const float* src, BlockQ6_K* dst, int64_t n);

double dot_row_q4_0(const BlockQ4_0* row, const float* x, int64_t n);
double dot_row_q5_0(const BlockQ5_0* row, const float* x, int64_t n);
double dot_row_q5_1(const BlockQ5_1* row, const float* x, int64_t n);
double dot_row_q8_0(const BlockQ8_0* row, const float* x, int64_t n);
double dot_row_q4_k(const BlockQ4_K* row, const float* x, int64_t n);
double dot_row_q6_k(const BlockQ6_K* row, const float* x, int64_t n);

// Element i's stored integer in a Q4_K block (0..15, the weight is
// d * scale * q - dmin * min) and in a Q6_K block (0..63, d * scale * (q - 32)).
int q4_k_quant(const uint8_t* qs, int i);
int q6_k_quant(const uint8_t* ql, const uint8_t* qh, int i);
// The 32 stored integers of a Q5_0 or Q5_1 block (0..31): low nibbles from
// qs, fifth bits from qh.
void unpack_q5(const uint8_t* qh, const uint8_t* qs, int* q);

// The 6-bit scale and min of sub-block j (0..7) of a Q4_K block.
void q4_k_scale_min(const uint8_t* scales, int j, uint8_t* scale, uint8_t* min);
// Packs eight 6-bit scales and mins into the 12-byte Q4_K form.
void q4_k_pack_scales(const uint8_t* scale, const uint8_t* min, uint8_t* packed);

}  // namespace hydra::engine
