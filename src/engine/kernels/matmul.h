#pragma once
// Matrix products over the compute pool, with the active kernel table: the
// weights are split into row ranges that the pool's threads take in turn.
// One token is a matrix-vector product that streams the weights once; more
// tokens decode a panel of weight rows to floats once and multiply it with
// every token (tiled GEMM).
#include <cstdint>
#include <functional>
#include <span>

#include "engine/kernels/kernels.h"

namespace hydra::engine {

// One product of a group: y[t * ldy + r] = dot(row r of w, x[t * ldx ...]).
struct MatmulTarget {
  MatrixRef w;
  float* y = nullptr;
  int64_t ldy = 0;
};

// Every product of the group shares the input x (n_tok rows, ldx apart) and
// one parallel region (q/k/v, or gate/up).
void matmul_group(std::span<const MatmulTarget> targets, const float* x, int64_t n_tok,
                  int64_t ldx);

inline void matmul(const MatrixRef& w, const float* x, int64_t n_tok, int64_t ldx, float* y,
                   int64_t ldy) {
  const MatmulTarget t{w, y, ldy};
  matmul_group(std::span<const MatmulTarget>(&t, 1), x, n_tok, ldx);
}

// Runs fn(i) for i in [0, n) on the pool, in chunks of at least `grain`.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace hydra::engine
