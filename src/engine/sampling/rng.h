#pragma once
// The per-request random stream (xoshiro256**): seeded explicitly, so the
// same seed gives the same draws on every run and no request shares state
// with another.
#include <cstdint>

namespace hydra::engine {

class Rng {
 public:
  // `stream` separates the choices of one request (n > 1).
  explicit Rng(uint64_t seed, uint64_t stream = 0);
  uint64_t next();
  // Uniform in [0, 1).
  double uniform();

 private:
  uint64_t s_[4];
};

// A seed from the system's secure random source, for requests without one.
uint64_t fresh_seed();

}  // namespace hydra::engine
