#include "engine/kernels/matmul.h"

#include <algorithm>
#include <vector>

#include "engine/kernels/compute_pool.h"

namespace hydra::engine {
namespace {

// Rows per task: enough work to amortise taking a task, small enough that
// a core slowed by other work does not hold everyone up.
constexpr int64_t kVecRows = 32;
constexpr int64_t kPanelRows = 64;

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

void vector_task(const KernelTable& k, const MatmulTarget& t, const float* x, const Task& task) {
  k.matvec(t.w, x, t.y, task.r0, task.r1);
}

// Weight rows [r0, r1) as floats (in place for F32), times every token.
void panel_task(const KernelTable& k, const MatmulTarget& t, const float* x, int64_t n_tok,
                int64_t ldx, const Task& task) {
  thread_local std::vector<float> panel;
  const int64_t rows = task.r1 - task.r0, cols = t.w.cols;
  const float* b;
  if (t.w.type == GgmlType::kF32) {
    b = reinterpret_cast<const float*>(t.w.row(task.r0));
  } else {
    panel.resize(static_cast<size_t>(rows * cols));
    k.rows_to_f32(t.w, task.r0, task.r1, panel.data());
    b = panel.data();
  }
  const int64_t ldb = t.w.type == GgmlType::kF32 ? static_cast<int64_t>(t.w.row_bytes / 4) : cols;
  k.gemm_nt(x, ldx, b, ldb, t.y + task.r0, t.ldy, n_tok, rows, cols);
}

}  // namespace

void matmul_group(std::span<const MatmulTarget> targets, const float* x, int64_t n_tok,
                  int64_t ldx) {
  if (n_tok <= 0) return;
  const KernelTable& k = kernels();
  const std::vector<Task> tasks = split(targets, n_tok == 1 ? kVecRows : kPanelRows);
  ComputePool::instance().run(static_cast<int64_t>(tasks.size()), [&](int64_t i) {
    const Task& task = tasks[static_cast<size_t>(i)];
    const MatmulTarget& t = targets[static_cast<size_t>(task.target)];
    if (n_tok == 1) {
      vector_task(k, t, x, task);
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
