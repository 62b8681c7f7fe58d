#include "engine/format/quant.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "engine/format/format_error.h"

using namespace hydra::engine;

namespace {

std::vector<float> random_row(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) v = dist(rng);
  return x;
}

std::vector<float> roundtrip(GgmlType type, const std::vector<float>& x) {
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<uint8_t> q(row_size(type, n));
  quantize_row(type, x.data(), q.data(), n);
  std::vector<float> y(x.size());
  dequantize_row(type, q.data(), y.data(), n);
  return y;
}

double rel_rms_error(const std::vector<float>& x, const std::vector<float>& y) {
  double err = 0, ref = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    err += (x[i] - y[i]) * static_cast<double>(x[i] - y[i]);
    ref += x[i] * static_cast<double>(x[i]);
  }
  return std::sqrt(err / ref);
}

// Largest |x - y| over each block, divided by a per-block measure of x.
double worst_block_error(const std::vector<float>& x, const std::vector<float>& y, int block,
                         bool by_range) {
  double worst = 0;
  for (size_t b = 0; b < x.size(); b += block) {
    float amax = 0, lo = x[b], hi = x[b];
    double err = 0;
    for (int j = 0; j < block; ++j) {
      amax = std::fmax(amax, std::fabs(x[b + j]));
      lo = std::fmin(lo, x[b + j]);
      hi = std::fmax(hi, x[b + j]);
      err = std::fmax(err, std::fabs(x[b + j] - y[b + j]));
    }
    worst = std::fmax(worst, err / (by_range ? hi - lo : amax));
  }
  return worst;
}

}  // namespace

TEST(Quant, Q8_0HandBuiltBlock) {
  BlockQ8_0 b{};
  b.d = 0x3800;  // 0.5
  for (int j = 0; j < 32; ++j) b.qs[j] = static_cast<int8_t>(j * 8 - 127);
  float y[32];
  dequantize_row_q8_0(&b, y, 32);
  EXPECT_FLOAT_EQ(y[0], -63.5f);  // 0.5 * -127
  EXPECT_FLOAT_EQ(y[16], 0.5f);   // 0.5 * 1
  EXPECT_FLOAT_EQ(y[31], 60.5f);  // 0.5 * 121
}

TEST(Quant, Q4_0HandBuiltBlock) {
  BlockQ4_0 b{};
  b.d = 0x4000;  // 2.0
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  float y[32];
  dequantize_row_q4_0(&b, y, 32);
  EXPECT_FLOAT_EQ(y[0], -16.0f);   // low nibble 0:  2 * (0 - 8)
  EXPECT_FLOAT_EQ(y[9], 2.0f);     // low nibble 9:  2 * (9 - 8)
  EXPECT_FLOAT_EQ(y[16], 14.0f);   // high nibble 15: 2 * (15 - 8)
  EXPECT_FLOAT_EQ(y[31], -16.0f);  // high nibble 0
}

TEST(Quant, Q5_0AndQ5_1HandBuiltBlocks) {
  BlockQ5_0 b{};
  b.d = 0x3C00;    // 1.0
  b.qs[0] = 0x3F;  // element 0 low nibble 15, element 16 low nibble 3
  b.qh[0] = 0x01;  // fifth bit of element 0
  b.qh[2] = 0x01;  // bit 16: fifth bit of element 16
  float y[32];
  dequantize_row_q5_0(&b, y, 32);
  EXPECT_FLOAT_EQ(y[0], 15.0f);   // 31 - 16
  EXPECT_FLOAT_EQ(y[16], 3.0f);   // 19 - 16
  EXPECT_FLOAT_EQ(y[1], -16.0f);  // 0 - 16

  BlockQ5_1 c{};
  c.d = 0x3800;  // 0.5
  c.m = 0xBC00;  // -1.0
  c.qs[5] = 0x02;
  c.qh[3] = 0x80;  // bit 31: fifth bit of element 31
  dequantize_row_q5_1(&c, y, 32);
  EXPECT_FLOAT_EQ(y[5], 0.0f);   // 0.5 * 2 - 1
  EXPECT_FLOAT_EQ(y[31], 7.0f);  // 0.5 * 16 - 1
  EXPECT_FLOAT_EQ(y[0], -1.0f);
}

TEST(Quant, Q4_KHandBuiltBlock) {
  // Sub-block scales {1,2,3,4,17,33,63,20} and mins {0,1,2,3,40,5,16,63},
  // packed by hand in ggml's 12-byte layout.
  BlockQ4_K b{};
  b.d = 0x3C00;     // 1.0
  b.dmin = 0x3800;  // 0.5
  const uint8_t packed[12] = {0x41, 0x82, 0xC3, 0x44, 0x80, 0x01,
                              0x42, 0xC3, 0x81, 0x51, 0x0F, 0xF4};
  std::memcpy(b.scales, packed, 12);
  const uint8_t want_sc[8] = {1, 2, 3, 4, 17, 33, 63, 20};
  const uint8_t want_m[8] = {0, 1, 2, 3, 40, 5, 16, 63};
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    q4_k_scale_min(b.scales, j, &sc, &m);
    EXPECT_EQ(sc, want_sc[j]) << j;
    EXPECT_EQ(m, want_m[j]) << j;
  }
  uint8_t repacked[12];
  q4_k_pack_scales(want_sc, want_m, repacked);
  EXPECT_EQ(std::memcmp(repacked, packed, 12), 0);

  b.qs[0] = 0x97;    // element 0 (sub 0) = 7, element 32 (sub 1) = 9
  b.qs[37] = 0x3C;   // element 69 (sub 2) = 12, element 101 (sub 3) = 3
  b.qs[127] = 0xFF;  // element 223 (sub 6) = 15, element 255 (sub 7) = 15
  float y[256];
  dequantize_row_q4_k(&b, y, 256);
  EXPECT_FLOAT_EQ(y[0], 7.0f);      // 1*1*7 - 0.5*0
  EXPECT_FLOAT_EQ(y[32], 17.5f);    // 1*2*9 - 0.5*1
  EXPECT_FLOAT_EQ(y[69], 35.0f);    // 1*3*12 - 0.5*2
  EXPECT_FLOAT_EQ(y[101], 10.5f);   // 1*4*3 - 0.5*3
  EXPECT_FLOAT_EQ(y[128], -20.0f);  // q 0: -0.5*40
  EXPECT_FLOAT_EQ(y[160], -2.5f);   // -0.5*5
  EXPECT_FLOAT_EQ(y[223], 937.0f);  // 63*15 - 0.5*16
  EXPECT_FLOAT_EQ(y[255], 268.5f);  // 20*15 - 0.5*63
}

TEST(Quant, Q6_KHandBuiltBlock) {
  BlockQ6_K b{};
  b.d = 0x3400;  // 0.25
  for (int j = 0; j < 16; ++j) b.scales[j] = static_cast<int8_t>(j - 8);
  b.ql[0] = 0x5A;   // element 0 low bits 0xA, element 64 low bits 0x5
  b.qh[0] = 0xE4;   // high bits: element 0 -> 0, 32 -> 1, 64 -> 2, 96 -> 3
  b.ql[33] = 0x3C;  // element 33 low 0xC, element 97 low 0x3
  b.ql[64] = 0x0F;  // second half: element 128 low 0xF
  float y[256];
  dequantize_row_q6_k(&b, y, 256);
  EXPECT_FLOAT_EQ(y[0], 0.25f * -8 * (10 - 32));
  EXPECT_FLOAT_EQ(y[32], 0.25f * -6 * (16 - 32));
  EXPECT_FLOAT_EQ(y[64], 0.25f * -4 * (37 - 32));
  EXPECT_FLOAT_EQ(y[96], 0.25f * -2 * (48 - 32));
  EXPECT_FLOAT_EQ(y[33], 0.25f * -6 * (12 - 32));
  EXPECT_FLOAT_EQ(y[97], 0.25f * -2 * (3 - 32));
  EXPECT_FLOAT_EQ(y[128], 0.25f * 0 * (15 - 32));
  EXPECT_FLOAT_EQ(y[144], 0.25f * 1 * (0 - 32));
  EXPECT_FLOAT_EQ(y[255], 0.25f * 7 * (0 - 32));
}

struct ErrorBound {
  GgmlType type;
  double max_rel_rms;    // over the whole row
  double max_block_err;  // worst |error| in a block over its absmax (or range)
  int block;
  bool by_range;
};

TEST(Quant, QuantizeDequantizeErrorBounds) {
  const ErrorBound bounds[] = {
      {GgmlType::kF32, 0.0, 0.0, 32, false},
      {GgmlType::kF16, 5e-4, 1e-3, 32, false},
      {GgmlType::kBF16, 4e-3, 8e-3, 32, false},
      {GgmlType::kQ8_0, 0.01, 0.5 / 127 + 2e-3, 32, false},
      {GgmlType::kQ6_K, 0.03, 1.0 / 32 + 0.01, 256, false},
      {GgmlType::kQ5_0, 0.06, 1.0 / 16 + 2e-3, 32, false},
      {GgmlType::kQ5_1, 0.05, 0.5 / 31 + 2e-3, 32, true},
      {GgmlType::kQ4_0, 0.12, 1.0 / 8 + 2e-3, 32, false},
      {GgmlType::kQ4_K, 0.12, 1.0 / 15, 256, true},
  };
  const auto x = random_row(4096, 42, 0.05f);
  for (const auto& b : bounds) {
    const auto y = roundtrip(b.type, x);
    const double rms = rel_rms_error(x, y);
    const double worst = worst_block_error(x, y, b.block, b.by_range);
    EXPECT_LE(rms, b.max_rel_rms) << type_name(b.type);
    EXPECT_LE(worst, b.max_block_err) << type_name(b.type);
    if (b.type != GgmlType::kF32) {
      EXPECT_GT(rms, 0.0) << type_name(b.type);  // it did quantize
    }
  }
}

TEST(Quant, QuantizersHandleZerosAndOutliers) {
  for (GgmlType t : {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ5_0, GgmlType::kQ5_1,
                     GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    const std::vector<float> zeros(256, 0.0f);
    for (float v : roundtrip(t, zeros)) ASSERT_EQ(v, 0.0f) << type_name(t);
    auto x = random_row(256, 3, 0.01f);
    x[17] = 5.0f;  // one outlier per row
    x[200] = -3.0f;
    const auto y = roundtrip(t, x);
    EXPECT_NEAR(y[17], 5.0f, 0.05f) << type_name(t);
    EXPECT_NEAR(y[200], -3.0f, 0.2f) << type_name(t);
    for (float v : y) ASSERT_TRUE(std::isfinite(v)) << type_name(t);
  }
}

TEST(Quant, DotMatchesDotOfDequantizedRow) {
  const auto w = random_row(1024, 11, 0.1f);
  const auto x = random_row(1024, 12, 1.0f);
  for (GgmlType t :
       {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ8_0, GgmlType::kQ4_0,
        GgmlType::kQ5_0, GgmlType::kQ5_1, GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    std::vector<uint8_t> q(row_size(t, 1024));
    quantize_row(t, w.data(), q.data(), 1024);
    std::vector<float> dq(1024);
    dequantize_row(t, q.data(), dq.data(), 1024);
    double want = 0, exact = 0, scale = 0;
    for (int i = 0; i < 1024; ++i) {
      want += static_cast<double>(dq[i]) * x[i];
      exact += static_cast<double>(w[i]) * x[i];
      scale += std::fabs(static_cast<double>(dq[i]) * x[i]);
    }
    const double got = dot_row(t, q.data(), x.data(), 1024);
    EXPECT_NEAR(got, want, 1e-6 * scale) << type_name(t);
    EXPECT_NEAR(got, exact, 0.1 * scale) << type_name(t);  // and near the float truth
  }
}

TEST(Quant, RejectsBadLengthsAndUnsupportedTypes) {
  std::vector<float> x(64, 1.0f), y(64);
  std::vector<uint8_t> buf(1024);
  EXPECT_THROW(quantize_row(GgmlType::kQ8_0, x.data(), buf.data(), 48), FormatError);
  EXPECT_THROW(dequantize_row(GgmlType::kQ4_K, buf.data(), y.data(), 64), FormatError);
  EXPECT_THROW(dot_row(GgmlType::kQ6_K, buf.data(), x.data(), 128), FormatError);
  EXPECT_THROW(dequantize_row(GgmlType::kQ4_1, buf.data(), y.data(), 64), FormatError);
  EXPECT_THROW(dequantize_row(GgmlType::kQ2_K, buf.data(), y.data(), 256), FormatError);
}

TEST(Quant, QuantizingDequantizedValuesIsStable) {
  // Values a block can represent exactly come back bit for bit.
  for (GgmlType t : {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ5_0, GgmlType::kQ6_K}) {
    const auto y1 = roundtrip(t, random_row(512, 5, 0.2f));
    const auto y2 = roundtrip(t, y1);
    for (size_t i = 0; i < y1.size(); ++i)
      ASSERT_FLOAT_EQ(y2[i], y1[i]) << type_name(t) << " " << i;
  }
}
