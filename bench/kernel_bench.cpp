// The engine's weight products on this machine, one type at a time: a
// 8192 x 4096 matrix (the quantized types packed as the model loader packs
// them) times 1, 8 and 64 tokens on all threads, as the product the engine
// runs (quantized types: activations quantized, integer dot products; BF16
// on a table with BF16 products: activations rounded to bf16, vdpbf16ps)
// and, measured in the same run as the baseline, the float product (each
// row piece decoded or widened to floats, then float dot products: `matvec`
// for one token, `matvec_multi` for up to 16 tokens of a float type, a
// decoded 64-row panel times every token for more).
// Figures: weight bytes streamed per second (the file's bytes, median of 7
// rounds) and the ratio to the float product. A matrix of this size sits in a large L3, so these
// are the kernels' own speeds, the ceiling of what decode can reach; engine_bench measures the
// model against the memory roofline. Usage: kernel_bench [--types
// q8_0,q4_0,q5_0,q5_1,q4_K,q6_K,bf16]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "engine/format/quant.h"
#include "engine/kernels/act_quant.h"
#include "engine/kernels/compute_pool.h"
#include "engine/kernels/kernels.h"
#include "engine/kernels/matmul.h"
#include "engine/kernels/q8_packed.h"

using namespace hydra::engine;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kRows = 8192, kCols = 4096, kTaskRows = 256, kPanel = 64;
constexpr int kRounds = 7;

struct Matrix {
  std::vector<uint8_t> bytes;
  WeightBytes packed;
  MatrixRef ref;
};

Matrix make_matrix(GgmlType type) {
  Matrix m;
  const size_t rb = row_size(type, kCols);
  m.bytes.resize(rb * kRows);
  parallel_for(kRows, 64, [&](int64_t r0, int64_t r1) {
    std::mt19937 rng(static_cast<uint32_t>(r0));
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<float> row(kCols);
    for (int64_t r = r0; r < r1; ++r) {
      for (float& v : row) v = nd(rng);
      quantize_row(type, row.data(), m.bytes.data() + r * rb, kCols);
    }
  });
  m.ref = MatrixRef{type, kRows, kCols, rb, m.bytes.data()};
  if (has_packed_layout(type) && kernels().reads_packed) {
    m.packed = pack_q8_matrix(m.ref);
    m.ref.packed = m.packed.get();
  }
  return m;
}

double median_seconds(const std::function<void()>& fn) {
  fn();  // warm: the matrix into the caches, the pool's threads awake
  std::vector<double> t;
  for (int i = 0; i < kRounds; ++i) {
    const auto t0 = Clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[kRounds / 2];
}

double int8_seconds(const Matrix& m, const std::vector<float>& x, int64_t tokens) {
  const KernelTable& k = kernels();
  Q8ActsBuffer buf;
  std::vector<float> y(static_cast<size_t>(tokens * kRows));
  return median_seconds([&] {
    const Q8Acts acts = buf.view(tokens, kCols);
    k.quantize_q8(x.data(), kCols, kCols, 0, tokens, buf.qs.data(), buf.d.data(),
                  buf.sum128.data());
    k.pack_q8(acts, 0, (tokens + kQ8Group - 1) / kQ8Group);
    parallel_for(kRows, kTaskRows, [&](int64_t r0, int64_t r1) {
      if (tokens == 1) {
        k.matvec_q8(m.ref, acts, 0, y.data(), r0, r1);
      } else {
        k.gemm_q8(m.ref, acts, y.data(), kRows, r0, r1);
      }
    });
  });
}

double bf16_seconds(const Matrix& m, const std::vector<float>& x, int64_t tokens) {
  const KernelTable& k = kernels();
  std::vector<uint16_t> xb(static_cast<size_t>(tokens * kCols));
  std::vector<float> y(static_cast<size_t>(tokens * kRows));
  return median_seconds([&] {
    k.f32_to_bf16(x.data(), xb.data(), tokens * kCols);
    parallel_for(kRows, kTaskRows, [&](int64_t r0, int64_t r1) {
      k.gemm_bf16(m.ref, xb.data(), tokens, y.data(), kRows, r0, r1);
    });
  });
}

double float_seconds(const Matrix& m, const std::vector<float>& x, int64_t tokens) {
  const KernelTable& k = kernels();
  std::vector<float> y(static_cast<size_t>(tokens * kRows));
  return median_seconds([&] {
    parallel_for(kRows, kTaskRows, [&](int64_t r0, int64_t r1) {
      if (tokens == 1) {
        k.matvec(m.ref, x.data(), y.data(), r0, r1);
        return;
      }
      if (tokens <= 16 && k.matvec_multi != nullptr && (type_info(m.ref.type).block_size == 1)) {
        k.matvec_multi(m.ref, x.data(), kCols, tokens, y.data(), kRows, r0, r1);
        return;
      }
      thread_local std::vector<float> panel(static_cast<size_t>(kPanel * kCols));
      for (int64_t r = r0; r < r1; r += kPanel) {
        k.rows_to_f32(m.ref, r, r + kPanel, panel.data());
        k.gemm_nt(x.data(), kCols, panel.data(), kCols, y.data() + r, kRows, tokens, kPanel, kCols);
      }
    });
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::string types = "q8_0,q4_0,q5_0,q5_1,q4_K,q6_K,bf16";
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--types") types = argv[i + 1];
  }
  std::printf("hydra kernel_bench: kernels %s, %d threads, %lld x %lld matrices\n", kernels().name,
              ComputePool::instance().threads(), static_cast<long long>(kRows),
              static_cast<long long>(kCols));
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(64 * kCols));
  for (float& v : x) v = nd(rng);
  for (const char* name : {"q8_0", "q4_0", "q5_0", "q5_1", "q4_K", "q6_K", "bf16"}) {
    if (("," + types + ",").find("," + std::string(name) + ",") == std::string::npos) continue;
    const GgmlType type = *type_from_name(name);
    const Matrix m = make_matrix(type);
    const double gb = static_cast<double>(m.bytes.size()) / 1e9;
    std::printf("\n== %s: %.1f MB, %s\n", name, gb * 1e3,
                m.ref.packed != nullptr ? "packed" : "file rows");
    const bool bf16 = type == GgmlType::kBF16 && kernels().gemm_bf16 != nullptr;
    const char* kind = bf16 ? "bf16" : "int8";
    for (int64_t tokens : {1, 8, 64}) {
      const double fs = float_seconds(m, x, tokens);
      const double is = bf16                     ? bf16_seconds(m, x, tokens)
                        : has_int8_product(type) ? int8_seconds(m, x, tokens)
                                                 : 0.0;
      std::printf("  %2lld token%s: float product %6.1f GB/s", static_cast<long long>(tokens),
                  tokens == 1 ? " " : "s", gb / fs);
      if (is > 0) {
        std::printf("   %s product %6.1f GB/s   %s / float %.2fx", kind, gb / is, kind, fs / is);
      }
      std::printf("\n");
    }
  }
  return 0;
}
