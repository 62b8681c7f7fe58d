#include "engine/kernels/matmul.h"

#include <algorithm>
#include <vector>

#include "engine/kernels/act_quant.h"
#include "engine/kernels/compute_pool.h"

namespace hydra::engine {
namespace {

// Rows per task: enough work to amortise taking a task, small enough that
// a core slowed by other work does not hold everyone up. A vector task also
// runs on from row to row through memory, and its kernel prefetches the rows
// ahead within the task: a small task starts cold, and its neighbour, being
// another thread's, was prefetched for nothing (with 32-row tasks two
// threads decoded a Q8_0 model no faster than one). So a single token's
// task takes half a thread's share; with more tokens the work per row is
// larger and smaller tasks balance the threads better.
constexpr int64_t kVecRows = 32;
constexpr int64_t kMaxVecRows = 4096;
constexpr int64_t kMatvecTasksPerThread = 2;
constexpr int64_t kMultiTasksPerThread = 8;
constexpr int64_t kMaxMultiRows = 1024;
constexpr int64_t kPanelRows = 64;
// Up to this many tokens (a decode step of a few streams), float-type
// weights go through matvec_multi over a task's rows (token by token with
// matvec where a table has none): the rows come from memory once, each
// piece of a row is widened to floats once for up to six tokens, and no
// panel is stored. matvec, matvec_multi and gemm_nt give the same bits, so
// this changes no result.
constexpr int64_t kSmallBatch = 16;

struct Task {
  int target;
  int64_t r0, r1;
};

std::vector<Task> split(std::span<const MatmulTarget> targets, int64_t rows_per_task) {
  std::vector<Task> tasks;
  for (size_t i = 0; i < targets.size(); ++i) {
    for (int64_t r = 0; r < targets[i].w.rows; r += rows_per_task) {
      tasks.push_back({static_cast<int>(i), r, std::min(targets[i].w.rows, r + rows_per_task)});
    }
  }
  return tasks;
}

void vector_task(const KernelTable& k, const MatmulTarget& t, const float* x, int64_t n_tok,
                 int64_t ldx, const Task& task) {
  if (k.matvec_multi != nullptr && n_tok > 1) {
    k.matvec_multi(t.w, x, ldx, n_tok, t.y, t.ldy, task.r0, task.r1);
    return;
  }
  for (int64_t i = 0; i < n_tok; ++i) k.matvec(t.w, x + i * ldx, t.y + i * t.ldy, task.r0, task.r1);
}

// Weight rows [r0, r1) as floats (in place for F32), times every token,
// kPanelRows at a time so a decoded panel stays in L2.
void panel_task(const KernelTable& k, const MatmulTarget& t, const float* x, int64_t n_tok,
                int64_t ldx, const Task& task) {
  thread_local std::vector<float> panel;
  const int64_t cols = t.w.cols;
  const int64_t ldb = t.w.type == GgmlType::kF32 ? static_cast<int64_t>(t.w.row_bytes / 4) : cols;
  for (int64_t r0 = task.r0; r0 < task.r1; r0 += kPanelRows) {
    const int64_t rows = std::min(kPanelRows, task.r1 - r0);
    const float* b;
    if (t.w.type == GgmlType::kF32) {
      b = reinterpret_cast<const float*>(t.w.row(r0));
    } else {
      panel.resize(static_cast<size_t>(rows * cols));
      k.rows_to_f32(t.w, r0, r0 + rows, panel.data());
      b = panel.data();
    }
    k.gemm_nt(x, ldx, b, ldb, t.y + r0, t.ldy, n_tok, rows, cols);
  }
}

// Quantized weights multiply int8 activations: the input is quantized once
// per product (the same bytes whatever the batch, see act_quant.h), then
// integer dot products; the weights are never widened to floats.
void q8_task(const KernelTable& k, const MatmulTarget& t, const Q8Acts& acts, const Task& task) {
  if (acts.rows == 1) {
    k.matvec_q8(t.w, acts, 0, t.y, task.r0, task.r1);
  } else {
    k.gemm_q8(t.w, acts, t.y, t.ldy, task.r0, task.r1);
  }
}

int64_t vec_rows_per_task(std::span<const MatmulTarget> targets, int64_t n_tok) {
  int64_t rows = 0;
  for (const MatmulTarget& t : targets) rows += t.w.rows;
  const bool one = n_tok == 1;
  const int64_t share = rows / (ComputePool::instance().threads() *
                                (one ? kMatvecTasksPerThread : kMultiTasksPerThread));
  return std::clamp((share + kVecRows - 1) / kVecRows * kVecRows, kVecRows,
                    one ? kMaxVecRows : kMaxMultiRows);
}

bool any_int8(std::span<const MatmulTarget> targets) {
  for (const MatmulTarget& t : targets) {
    if (has_int8_product(t.w.type)) return true;
  }
  return false;
}

// Quantizes (and for batches packs) the input on the pool, 16 rows a task.
Q8Acts quantize_input(const KernelTable& k, const float* x, int64_t n_tok, int64_t ldx,
                      int64_t cols) {
  thread_local Q8ActsBuffer buffer;
  const Q8Acts acts = buffer.view(n_tok, cols);
  int8_t* qs = buffer.qs.data();
  float* d = buffer.d.data();
  int32_t* sum128 = buffer.sum128.data();
  if (n_tok == 1) {
    k.quantize_q8(x, ldx, cols, 0, 1, qs, d, sum128);
    return acts;
  }
  parallel_for((n_tok + kQ8Group - 1) / kQ8Group, 1, [&](int64_t g0, int64_t g1) {
    k.quantize_q8(x, ldx, cols, g0 * kQ8Group, std::min(n_tok, g1 * kQ8Group), qs, d, sum128);
    k.pack_q8(acts, g0, g1);
  });
  return acts;
}

bool uses_bf16_product(const KernelTable& k, GgmlType type) {
  return type == GgmlType::kBF16 && k.gemm_bf16 != nullptr;
}

bool any_bf16(const KernelTable& k, std::span<const MatmulTarget> targets) {
  for (const MatmulTarget& t : targets) {
    if (uses_bf16_product(k, t.w.type)) return true;
  }
  return false;
}

// The input rounded to bf16 once per product, for tables with BF16 products.
const uint16_t* bf16_input(const KernelTable& k, const float* x, int64_t n_tok, int64_t ldx,
                           int64_t cols) {
  thread_local std::vector<uint16_t> buffer;
  buffer.resize(static_cast<size_t>(n_tok * cols));
  uint16_t* out = buffer.data();
  parallel_for(n_tok, 16, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) k.f32_to_bf16(x + t * ldx, out + t * cols, cols);
  });
  return out;
}

}  // namespace

void matmul_group(std::span<const MatmulTarget> targets, const float* x, int64_t n_tok,
                  int64_t ldx) {
  if (n_tok <= 0) return;
  const KernelTable& k = kernels();
  const Q8Acts acts =
      any_int8(targets) ? quantize_input(k, x, n_tok, ldx, targets[0].w.cols) : Q8Acts{};
  const uint16_t* xb =
      any_bf16(k, targets) ? bf16_input(k, x, n_tok, ldx, targets[0].w.cols) : nullptr;
  const bool small = n_tok <= kSmallBatch;
  const std::vector<Task> tasks =
      split(targets, small ? vec_rows_per_task(targets, n_tok) : kPanelRows);
  ComputePool::instance().run(static_cast<int64_t>(tasks.size()), [&](int64_t i) {
    const Task& task = tasks[static_cast<size_t>(i)];
    const MatmulTarget& t = targets[static_cast<size_t>(task.target)];
    if (has_int8_product(t.w.type)) {
      q8_task(k, t, acts, task);
    } else if (uses_bf16_product(k, t.w.type)) {
      k.gemm_bf16(t.w, xb, n_tok, t.y, t.ldy, task.r0, task.r1);
    } else if (small && (n_tok == 1 || has_direct_kernel(t.w.type))) {
      // A product per token would decode the rows of a type without a direct
      // kernel again for every token (4 Q4_0 streams ran no faster than one
      // when Q4_0 was decoded); the panel decodes them once, with the same
      // bits (README, batch invariance). Every type read today has one.
      vector_task(k, t, x, n_tok, ldx, task);
    } else {
      panel_task(k, t, x, n_tok, ldx, task);
    }
  });
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t chunks = (n + grain - 1) / grain;
  ComputePool::instance().run(chunks,
                              [&](int64_t c) { fn(c * grain, std::min(n, (c + 1) * grain)); });
}

}  // namespace hydra::engine
