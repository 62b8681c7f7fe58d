// Every SIMD kernel table against the scalar one, for every weight type and
// for shapes with and without vector tails; and the property the decoder
// relies on: the matrix-vector and the matrix-matrix product of a table
// give the same bits for the same row.
#include "engine/kernels/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

#include "engine/format/quant.h"
#include "engine/kernels/act_quant.h"
#include "engine/kernels/compute_pool.h"
#include "engine/kernels/matmul.h"
#include "engine/kernels/q8_packed.h"

namespace hydra::engine {
namespace {

struct Matrix {
  std::vector<uint8_t> bytes;
  MatrixRef ref;
};

std::vector<float> gaussian(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

Matrix make_matrix(GgmlType type, int64_t rows, int64_t cols, uint32_t seed) {
  Matrix m;
  const std::vector<float> f = gaussian(static_cast<size_t>(rows * cols), seed);
  const size_t rb = row_size(type, cols);
  m.bytes.resize(rb * static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r)
    quantize_row(type, f.data() + r * cols, m.bytes.data() + r * rb, cols);
  m.ref = MatrixRef{type, rows, cols, rb, m.bytes.data()};
  return m;
}

std::vector<KernelPath> simd_paths() {
  std::vector<KernelPath> out;
  for (KernelPath p :
       {KernelPath::kAvx2, KernelPath::kAvx512, KernelPath::kAvx512Vnni, KernelPath::kAvx512Bf16}) {
    if (kernel_path_supported(p)) out.push_back(p);
  }
  return out;
}

std::vector<KernelPath> all_paths() {
  std::vector<KernelPath> out = simd_paths();
  out.insert(out.begin(), KernelPath::kScalar);
  return out;
}

// Activation rows quantized as matmul does it, packed for table k.
Q8Acts quantized(const KernelTable& k, const std::vector<float>& x, int64_t rows, int64_t cols,
                 Q8ActsBuffer& buf) {
  const Q8Acts acts = buf.view(rows, cols);
  k.quantize_q8(x.data(), cols, cols, 0, rows, buf.qs.data(), buf.d.data(), buf.sum128.data());
  k.pack_q8(acts, 0, (rows + kQ8Group - 1) / kQ8Group);
  return acts;
}

const GgmlType kTypes[] = {GgmlType::kF32,  GgmlType::kF16,  GgmlType::kBF16,
                           GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ5_0,
                           GgmlType::kQ5_1, GgmlType::kQ4_K, GgmlType::kQ6_K};

int64_t cols_for(GgmlType type, bool odd) {
  if (type_info(type).block_size == 256) return 512;
  if (type_info(type).block_size == 32) return 96;
  return odd ? 77 : 96;  // float types: a tail shorter than any vector
}

TEST(Kernels, ScalarPathIsAlwaysThere) {
  EXPECT_TRUE(kernel_path_supported(KernelPath::kScalar));
  EXPECT_EQ(kernel_path_from_name("avx512"), KernelPath::kAvx512);
  EXPECT_FALSE(kernel_path_from_name("sse9").has_value());
  std::printf("[ figures ] best kernel path on this CPU: %s, %d compute threads\n",
              std::string(kernel_path_name(best_kernel_path())).c_str(),
              ComputePool::instance().threads());
}

TEST(Kernels, MatvecAndRowsMatchScalarForEveryType) {
  const KernelTable& ref = scalar_kernel_table();
  for (KernelPath path : simd_paths()) {
    const KernelTable& k = kernel_table(path);
    for (GgmlType type : kTypes) {
      for (bool odd : {false, true}) {
        const int64_t rows = 7, cols = cols_for(type, odd);
        const Matrix m = make_matrix(type, rows, cols, 3);
        const std::vector<float> x = gaussian(static_cast<size_t>(cols), 5);
        std::vector<float> want(rows), got(rows);
        ref.matvec(m.ref, x.data(), want.data(), 0, rows);
        k.matvec(m.ref, x.data(), got.data(), 0, rows);
        for (int64_t r = 0; r < rows; ++r) {
          EXPECT_NEAR(got[r], want[r], 1e-4 * std::sqrt(static_cast<double>(cols)))
              << k.name << " " << type_name(type) << " row " << r;
        }
        std::vector<float> fw(static_cast<size_t>(rows * cols)), fg(fw.size());
        ref.rows_to_f32(m.ref, 0, rows, fw.data());
        k.rows_to_f32(m.ref, 0, rows, fg.data());
        EXPECT_EQ(fw, fg) << k.name << " " << type_name(type);
      }
    }
  }
}

// The batch-invariance property: for each table, gemm over decoded rows
// equals matvec on the stored rows bit for bit, and a zero-padded longer
// product equals the shorter one.
TEST(Kernels, MatvecAndGemmAgreeBitForBit) {
  for (KernelPath path : all_paths()) {
    const KernelTable& k = kernel_table(path);
    for (GgmlType type : kTypes) {
      const int64_t rows = 9, cols = cols_for(type, true), tokens = 5;
      const Matrix m = make_matrix(type, rows, cols, 11);
      const std::vector<float> x = gaussian(static_cast<size_t>(tokens * cols), 13);
      std::vector<float> panel(static_cast<size_t>(rows * cols));
      k.rows_to_f32(m.ref, 0, rows, panel.data());
      std::vector<float> c(static_cast<size_t>(tokens * rows));
      k.gemm_nt(x.data(), cols, panel.data(), cols, c.data(), rows, tokens, rows, cols);
      for (int64_t t = 0; t < tokens; ++t) {
        std::vector<float> y(rows);
        k.matvec(m.ref, x.data() + t * cols, y.data(), 0, rows);
        for (int64_t r = 0; r < rows; ++r) {
          EXPECT_EQ(y[r], c[t * rows + r]) << k.name << " " << type_name(type) << " t" << t;
        }
      }
    }
    // Padding the inner dimension with zeros changes nothing.
    const int64_t n = 21, padded = 37;
    std::vector<float> a = gaussian(padded, 17), b = gaussian(padded, 19);
    std::fill(a.begin() + n, a.end(), 0.0f);
    float short_c = 0, long_c = 0;
    k.gemm_nt(a.data(), padded, b.data(), padded, &short_c, 1, 1, 1, n);
    k.gemm_nt(a.data(), padded, b.data(), padded, &long_c, 1, 1, 1, padded);
    EXPECT_EQ(short_c, long_c) << k.name;
  }
}

// Rows long enough that a table multiplies them in pieces (an FFN's down
// projection), with a column tail and more tokens than a row block: still
// the bits of matvec, token by token.
TEST(Kernels, LongRowGemmAgreesWithMatvecBitForBit) {
  const int64_t rows = 9, cols = 4864 + 7, tokens = 67;
  const std::vector<float> w = gaussian(static_cast<size_t>(rows * cols), 23);
  const std::vector<float> x = gaussian(static_cast<size_t>(tokens * cols), 29);
  const MatrixRef m{GgmlType::kF32, rows, cols, static_cast<size_t>(cols) * sizeof(float),
                    reinterpret_cast<const uint8_t*>(w.data())};
  for (KernelPath path : all_paths()) {
    const KernelTable& k = kernel_table(path);
    std::vector<float> c(static_cast<size_t>(tokens * rows));
    k.gemm_nt(x.data(), cols, w.data(), cols, c.data(), rows, tokens, rows, cols);
    for (int64_t t = 0; t < tokens; ++t) {
      std::vector<float> y(rows);
      k.matvec(m, x.data() + t * cols, y.data(), 0, rows);
      for (int64_t r = 0; r < rows; ++r) {
        ASSERT_EQ(y[r], c[t * rows + r]) << k.name << " token " << t << " row " << r;
      }
    }
  }
}

TEST(Kernels, GemmSoftmaxAndHalfMatchScalar) {
  const KernelTable& ref = scalar_kernel_table();
  for (KernelPath path : simd_paths()) {
    const KernelTable& k = kernel_table(path);
    for (int64_t m : {1, 3, 6, 67}) {
      for (int64_t n : {1, 4, 7, 9}) {
        const int64_t kk = 45;
        const std::vector<float> a = gaussian(static_cast<size_t>(m * kk), 1);
        const std::vector<float> b = gaussian(static_cast<size_t>(n * kk), 2);
        std::vector<float> want(static_cast<size_t>(m * n)), got(want.size());
        ref.gemm_nt(a.data(), kk, b.data(), kk, want.data(), n, m, n, kk);
        k.gemm_nt(a.data(), kk, b.data(), kk, got.data(), n, m, n, kk);
        for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-4) << k.name;
      }
    }
    for (int64_t n : {1, 5, 16, 19, 100}) {
      std::vector<float> x = gaussian(static_cast<size_t>(n), 7), y = x;
      for (float& v : x) v *= 10;
      y = x;
      ref.softmax(x.data(), n, 0.3f);
      k.softmax(y.data(), n, 0.3f);
      for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(y[i], x[i], 1e-6 + 1e-5 * x[i]) << k.name;
      std::vector<uint16_t> h1(static_cast<size_t>(n)), h2(h1.size());
      ref.f32_to_f16(x.data(), h1.data(), n);
      k.f32_to_f16(x.data(), h2.data(), n);
      EXPECT_EQ(h1, h2) << k.name;
    }
  }
}

// silu(gate) * up close to the scalar table's, including gates far past
// exp's range; and each value's bits do not depend on where in the range
// it lies (body or tail), so a batch and a lone row agree.
// Every table quantizes activations to the shared code's bytes: values,
// scales and block sums, with an all-zero block, exact ties (x * inv =
// k + 0.5 rounds to even), tiny and huge magnitudes, and a row offset.
TEST(Kernels, EveryTableQuantizesActivationsToTheSameBytes) {
  const int64_t rows = 5, cols = 160, ldx = 170, nb = cols / kQK;
  std::vector<float> x = gaussian(static_cast<size_t>(rows * ldx), 21);
  for (int64_t i = 0; i < kQK; ++i) x[static_cast<size_t>(ldx + i)] = 0.0f;
  for (int64_t i = 0; i < kQK; ++i) x[static_cast<size_t>(2 * ldx + i)] = 0.5f * (i % 9) - 2.0f;
  x[static_cast<size_t>(2 * ldx)] = 127.0f;  // scale 1: the halves above are ties
  for (int64_t i = 0; i < kQK; ++i) x[static_cast<size_t>(3 * ldx + kQK + i)] *= 1e-30f;
  for (int64_t i = 0; i < kQK; ++i) x[static_cast<size_t>(4 * ldx + 2 * kQK + i)] *= 1e30f;
  auto run = [&](const KernelTable& k, int64_t r0, std::vector<int8_t>& q, std::vector<float>& d,
                 std::vector<int32_t>& s) {
    q.assign(static_cast<size_t>(rows * cols), 7);
    d.assign(static_cast<size_t>(rows * nb), -1.0f);
    s.assign(d.size(), -1);
    k.quantize_q8(x.data(), ldx, cols, r0, rows, q.data(), d.data(), s.data());
  };
  std::vector<int8_t> q_want, q_got;
  std::vector<float> d_want, d_got;
  std::vector<int32_t> s_want, s_got;
  for (const int64_t r0 : {0, 2}) {
    run(scalar_kernel_table(), r0, q_want, d_want, s_want);
    EXPECT_EQ(q_want[static_cast<size_t>(2 * cols + 1)], -2) << "-1.5 rounds to even";
    for (KernelPath path : simd_paths()) {
      const KernelTable& k = kernel_table(path);
      run(k, r0, q_got, d_got, s_got);
      EXPECT_EQ(q_got, q_want) << k.name << " from row " << r0;
      EXPECT_EQ(d_got, d_want) << k.name << " from row " << r0;
      EXPECT_EQ(s_got, s_want) << k.name << " from row " << r0;
    }
  }
}

TEST(Kernels, SwigluMatchesScalarAndIgnoresItsPlaceInTheRange) {
  const KernelTable& ref = scalar_kernel_table();
  std::vector<float> gate = gaussian(37, 11), up = gaussian(37, 12);
  for (float& g : gate) g *= 6;
  gate[3] = -200.0f;
  gate[4] = 200.0f;
  gate[5] = 0.0f;
  for (KernelPath path : simd_paths()) {
    const KernelTable& k = kernel_table(path);
    std::vector<float> want(gate.size()), got(gate.size());
    ref.swiglu(gate.data(), up.data(), want.data(), 37);
    k.swiglu(gate.data(), up.data(), got.data(), 37);
    for (size_t i = 0; i < want.size(); ++i)
      EXPECT_NEAR(got[i], want[i], 1e-6 + 1e-5 * std::fabs(want[i])) << k.name << " " << i;
    EXPECT_EQ(got[4], gate[4] * up[4]) << k.name;
    for (int64_t from : {1, 5, 21}) {
      std::vector<float> part(gate.size() - static_cast<size_t>(from));
      k.swiglu(gate.data() + from, up.data() + from, part.data(), 37 - from);
      for (size_t i = 0; i < part.size(); ++i)
        EXPECT_EQ(part[i], got[i + static_cast<size_t>(from)]) << k.name << " from " << from;
    }
    std::vector<float> in_place = gate;
    k.swiglu(in_place.data(), up.data(), in_place.data(), 37);
    EXPECT_EQ(in_place, got) << k.name;
  }
}

TEST(Kernels, ForcedPathIsUsedAndUnsupportedOneRefused) {
  const KernelPath before = active_kernel_path();
  set_kernel_path(KernelPath::kScalar);
  EXPECT_STREQ(kernels().name, "scalar");
  set_kernel_path(before);
  EXPECT_EQ(active_kernel_path(), before);
}

TEST(ComputePool, RunsEveryTaskOnceAndFallsBackWhenBusy) {
  ComputePool pool(3);
  std::vector<std::atomic<int>> hits(1000);
  for (int round = 0; round < 50; ++round) {
    pool.run(1000, [&](int64_t i) { hits[static_cast<size_t>(i)].fetch_add(1); });
  }
  for (auto& h : hits) EXPECT_EQ(h.load(), 50);
  // A task that itself runs work on the busy pool runs it inline.
  std::atomic<int> inner{0};
  pool.run(4, [&](int64_t) { pool.run(10, [&](int64_t) { inner.fetch_add(1); }); });
  EXPECT_EQ(inner.load(), 40);
  pool.resize(2);
  EXPECT_EQ(pool.threads(), 2);
  EXPECT_GE(physical_core_count(), 1);
}

// Several tokens at once (each row widened once): the bits of matvec token
// by token, for every row and token tail.
TEST(Kernels, MultiTokenMatvecEqualsMatvecPerToken) {
  for (KernelPath path : simd_paths()) {
    const KernelTable& k = kernel_table(path);
    if (k.matvec_multi == nullptr) continue;
    for (GgmlType type : {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ8_0}) {
      const int64_t cols = type == GgmlType::kQ8_0 ? 96 : 100;
      const Matrix m = make_matrix(type, 11, cols, 41);
      for (int64_t tokens : {2, 5, 8, 16}) {
        const std::vector<float> x = gaussian(static_cast<size_t>(tokens * cols), 43);
        std::vector<float> got(static_cast<size_t>(tokens * 11)), want(got.size());
        k.matvec_multi(m.ref, x.data(), cols, tokens, got.data(), 11, 0, 11);
        for (int64_t t = 0; t < tokens; ++t)
          k.matvec(m.ref, x.data() + t * cols, want.data() + t * 11, 0, 11);
        EXPECT_EQ(got, want) << k.name << " " << type_name(type) << " " << tokens << " tokens";
      }
    }
  }
}

TEST(Matmul, ParallelProductEqualsKernelProduct) {
  const int64_t rows = 300, cols = 256;
  for (GgmlType type :
       {GgmlType::kF16, GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    const Matrix m = make_matrix(type, rows, cols, 23);
    for (int64_t tokens : {1, 3, 8, 16, 40}) {
      const std::vector<float> x = gaussian(static_cast<size_t>(tokens * cols), 29);
      std::vector<float> y(static_cast<size_t>(tokens * rows)), want(y.size());
      matmul(m.ref, x.data(), tokens, cols, y.data(), rows);
      Q8ActsBuffer buf;
      const Q8Acts acts = quantized(kernels(), x, tokens, cols, buf);
      for (int64_t t = 0; t < tokens; ++t) {
        if (has_int8_product(type)) {
          kernels().matvec_q8(m.ref, acts, t, want.data() + t * rows, 0, rows);
        } else {
          kernels().matvec(m.ref, x.data() + t * cols, want.data() + t * rows, 0, rows);
        }
      }
      EXPECT_EQ(y, want) << type_name(type) << " " << tokens << " tokens";
    }
  }
}

// The types with int8 products.
const GgmlType kInt8Types[] = {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ5_0,
                               GgmlType::kQ5_1, GgmlType::kQ4_K, GgmlType::kQ6_K};

// Row widths for the int8 tests: one block, a few, and a model's (or, for
// the K-quants, one super-block and several).
std::vector<int64_t> int8_cols(GgmlType type) {
  if (type_info(type).block_size == 256) return {256, 1280};
  return {32, 96, 896};
}

// Row 0's first integers set to the type's extremes: Q8_0 -128 and 127;
// Q4_0 and Q4_K nibbles 0 and 15; Q5_0 and Q5_1 q = 0 and 31; Q6_K q = 0
// and 63 and a sub-block scale of -128.
void set_extremes(Matrix& m) {
  uint8_t* b = m.bytes.data();
  switch (m.ref.type) {
    case GgmlType::kQ8_0:
      b[2] = 0x80;
      b[2 + 17] = 0x7F;
      break;
    case GgmlType::kQ4_0:
    case GgmlType::kQ4_K: {
      const size_t qs = m.ref.type == GgmlType::kQ4_0 ? 2 : offsetof(BlockQ4_K, qs);
      b[qs] = static_cast<uint8_t>(b[qs] & 0xF0);
      b[qs + 1] = static_cast<uint8_t>(b[qs + 1] | 0xF0);
      break;
    }
    case GgmlType::kQ5_0:
    case GgmlType::kQ5_1: {
      const size_t qh =
          m.ref.type == GgmlType::kQ5_0 ? offsetof(BlockQ5_0, qh) : offsetof(BlockQ5_1, qh);
      const size_t qs = qh + 4;
      b[qs] &= 0xF0;  // element 0: q = 0
      b[qh] &= 0xFE;
      b[qs + 1] |= 0x0F;  // element 1: q = 31
      b[qh] |= 0x02;
      break;
    }
    case GgmlType::kQ6_K:
      b[offsetof(BlockQ6_K, ql)] &= 0xF0;
      b[offsetof(BlockQ6_K, qh)] &= 0xFC;
      b[offsetof(BlockQ6_K, ql) + 1] |= 0x0F;
      b[offsetof(BlockQ6_K, qh) + 1] |= 0x03;
      b[offsetof(BlockQ6_K, scales)] = 0x80;
      break;
    default:
      break;
  }
}

// Weights of the int8 types times int8 activations: every table gives the
// scalar bits, one token at a time and as a batch (row and token tails of
// every tile), including the extremes (the weights' most negative and
// largest integers, activations of +-127).
TEST(Kernels, Int8ProductsEqualScalarExactly) {
  const KernelTable& ref = scalar_kernel_table();
  for (GgmlType type : kInt8Types) {
    for (int64_t cols : int8_cols(type)) {
      for (int64_t rows : {1, 7, 37, 64}) {
        Matrix m = make_matrix(type, rows, cols, 31);
        set_extremes(m);
        for (int64_t tokens : {1, 2, 5, 8, 17, 50}) {
          std::vector<float> x = gaussian(static_cast<size_t>(tokens * cols), 37);
          x[1] = -1e3f;
          Q8ActsBuffer rb;
          const Q8Acts racts = quantized(ref, x, tokens, cols, rb);
          std::vector<float> want(static_cast<size_t>(tokens * rows));
          ref.gemm_q8(m.ref, racts, want.data(), rows, 0, rows);
          for (KernelPath path : simd_paths()) {
            const KernelTable& k = kernel_table(path);
            Q8ActsBuffer kb;
            const Q8Acts acts = quantized(k, x, tokens, cols, kb);
            std::vector<float> got(want.size()), one(static_cast<size_t>(rows));
            k.gemm_q8(m.ref, acts, got.data(), rows, 0, rows);
            EXPECT_EQ(got, want) << k.name << " " << type_name(type) << " " << rows << "x" << cols
                                 << " " << tokens;
            for (int64_t t = 0; t < tokens; ++t) {
              k.matvec_q8(m.ref, acts, t, one.data(), 0, rows);
              ASSERT_TRUE(std::equal(one.begin(), one.end(), want.begin() + t * rows))
                  << k.name << " matvec token " << t;
            }
          }
        }
      }
    }
  }
}

// A packed matrix of an int8 type (q8_packed.h) gives the scalar product's
// bits on every table that reads it, for every row range and batch size
// (the row and token tails of the group kernel and of the GEMM tiles), and
// those tables read nothing else: the file's rows are overwritten before
// they run. A packed row read back is the stored row.
TEST(Kernels, PackedMatrixGivesTheScalarBitsAlone) {
  const KernelTable& ref = scalar_kernel_table();
  for (GgmlType type : kInt8Types) {
    for (int64_t cols : int8_cols(type)) {
      for (int64_t rows : {1, 16, 37, 64}) {
        Matrix m = make_matrix(type, rows, cols, 53);
        set_extremes(m);
        const WeightBytes packed = pack_q8_matrix(m.ref);
        ASSERT_NE(packed, nullptr);
        MatrixRef with = m.ref;
        with.packed = packed.get();
        std::vector<float> row(static_cast<size_t>(cols)), stored(row.size());
        for (int64_t r = 0; r < rows; ++r) {
          q8_packed_row_to_f32(with, r, row.data());
          dequantize_row(type, m.ref.row(r), stored.data(), cols);
          ASSERT_EQ(row, stored) << "row " << r;
        }
        const std::vector<uint8_t> original = m.bytes;
        for (int64_t tokens : {1, 2, 5, 8, 9, 16, 17, 50}) {
          const std::vector<float> x = gaussian(static_cast<size_t>(tokens * cols), 59);
          Q8ActsBuffer rb;
          std::vector<float> want(static_cast<size_t>(tokens * rows));
          m.bytes = original;
          ref.gemm_q8(m.ref, quantized(ref, x, tokens, cols, rb), want.data(), rows, 0, rows);
          std::fill(m.bytes.begin(), m.bytes.end(), uint8_t{0x55});
          for (KernelPath path : simd_paths()) {
            const KernelTable& k = kernel_table(path);
            if (!k.reads_packed) continue;
            Q8ActsBuffer kb;
            const Q8Acts acts = quantized(k, x, tokens, cols, kb);
            std::vector<float> got(want.size(), 0.0f);
            k.gemm_q8(with, acts, got.data(), rows, 0, rows);
            EXPECT_EQ(got, want) << k.name << " " << type_name(type) << " " << rows << "x" << cols
                                 << " " << tokens;
            // Cuts inside a group's first and second 8 rows.
            for (int64_t cut : {std::min<int64_t>(rows, 5), std::min<int64_t>(rows, 11)}) {
              std::fill(got.begin(), got.end(), 0.0f);
              k.gemm_q8(with, acts, got.data(), rows, 0, cut);
              k.gemm_q8(with, acts, got.data(), rows, cut, rows);
              EXPECT_EQ(got, want) << k.name << " split at " << cut << ", " << tokens;
              std::vector<float> one(static_cast<size_t>(rows), 0.0f);
              k.matvec_q8(with, acts, tokens - 1, one.data(), 0, cut);
              k.matvec_q8(with, acts, tokens - 1, one.data(), cut, rows);
              EXPECT_TRUE(std::equal(one.begin(), one.end(), want.begin() + (tokens - 1) * rows))
                  << k.name << " matvec " << rows << "x" << cols << " split at " << cut;
            }
          }
        }
      }
    }
  }
}

// The SIMD tables read packed matrices (the loader packs for them), the
// scalar reference reads the file's rows.
TEST(Kernels, AvxTablesSayWhetherTheyReadPackedMatrices) {
  EXPECT_FALSE(scalar_kernel_table().reads_packed);
  if (kernel_path_supported(KernelPath::kAvx2)) {
    EXPECT_TRUE(avx2_kernel_table().reads_packed);
  }
  if (kernel_path_supported(KernelPath::kAvx512)) {
    EXPECT_TRUE(avx512_kernel_table().reads_packed);
  }
  if (kernel_path_supported(KernelPath::kAvx512Vnni)) {
    EXPECT_TRUE(avx512_vnni_kernel_table().reads_packed);
  }
  if (kernel_path_supported(KernelPath::kAvx512Bf16)) {
    EXPECT_TRUE(avx512_bf16_kernel_table().reads_packed);
  }
}

// Tables with BF16 products (vdpbf16ps): the activations round to bf16 as
// the format's own conversion rounds them; a token's products have the same
// bits alone, in a decode step and in a prompt (row and token tails of the
// tiles, a column tail shorter than a vector), through matmul too; and they
// stay close to the float product (bf16 keeps 8 bits of mantissa: the
// rounding error of a sum of n terms is about 0.003 * sqrt(n); 5 sigma).
TEST(Kernels, Bf16ProductsAreBatchInvariantAndCloseToFloat) {
  int tables = 0;
  for (KernelPath path : simd_paths()) {
    const KernelTable& k = kernel_table(path);
    if (k.gemm_bf16 == nullptr) continue;
    ++tables;
    const std::vector<float> probe = gaussian(37, 3);
    std::vector<uint16_t> rounded(probe.size());
    k.f32_to_bf16(probe.data(), rounded.data(), 37);
    for (size_t i = 0; i < probe.size(); ++i) ASSERT_EQ(rounded[i], fp32_to_bf16(probe[i])) << i;
    for (int64_t cols : {77, 96, 896}) {
      const int64_t rows = 37;
      const Matrix m = make_matrix(GgmlType::kBF16, rows, cols, 61);
      for (int64_t tokens : {1, 2, 3, 5, 8, 17}) {
        const std::vector<float> x = gaussian(static_cast<size_t>(tokens * cols), 67);
        std::vector<uint16_t> xb(x.size());
        k.f32_to_bf16(x.data(), xb.data(), tokens * cols);
        std::vector<float> all(static_cast<size_t>(tokens * rows)), one(static_cast<size_t>(rows));
        k.gemm_bf16(m.ref, xb.data(), tokens, all.data(), rows, 0, rows);
        std::vector<float> exact(static_cast<size_t>(rows));
        for (int64_t t = 0; t < tokens; ++t) {
          k.gemm_bf16(m.ref, xb.data() + t * cols, 1, one.data(), rows, 0, rows);
          ASSERT_TRUE(std::equal(one.begin(), one.end(), all.begin() + t * rows))
              << k.name << " " << cols << " cols, token " << t << " of " << tokens;
          scalar_kernel_table().matvec(m.ref, x.data() + t * cols, exact.data(), 0, rows);
          for (int64_t r = 0; r < rows; ++r) {
            ASSERT_NEAR(one[r], exact[r], 0.015 * std::sqrt(cols)) << k.name << " row " << r;
          }
        }
        const KernelPath before = active_kernel_path();
        set_kernel_path(path);
        std::vector<float> via_matmul(all.size());
        matmul(m.ref, x.data(), tokens, cols, via_matmul.data(), rows);
        set_kernel_path(before);
        EXPECT_EQ(via_matmul, all) << k.name << " matmul, " << tokens << " tokens";
      }
    }
  }
  if (kernel_path_supported(KernelPath::kAvx512Bf16)) {
    EXPECT_EQ(tables, 1);
  }
}

// Quantizing the activations costs about as much accuracy as the weights'
// own quantization: the int8 product stays close to the float one (the
// rounding error of a sum of 896 is about 0.006 * sqrt(896); 5 sigma).
TEST(Kernels, Int8ProductIsCloseToFloatProduct) {
  const int64_t rows = 16, cols = 1024;
  for (GgmlType type : kInt8Types) {
    const Matrix m = make_matrix(type, rows, cols, 41);
    const std::vector<float> x = gaussian(static_cast<size_t>(cols), 43);
    Q8ActsBuffer buf;
    const Q8Acts acts = quantized(scalar_kernel_table(), x, 1, cols, buf);
    std::vector<float> exact(rows), got(rows);
    scalar_kernel_table().matvec(m.ref, x.data(), exact.data(), 0, rows);
    scalar_kernel_table().matvec_q8(m.ref, acts, 0, got.data(), 0, rows);
    for (int64_t r = 0; r < rows; ++r) {
      EXPECT_NEAR(got[r], exact[r], 0.03 * std::sqrt(cols)) << type_name(type) << " row " << r;
    }
  }
}

}  // namespace
}  // namespace hydra::engine
