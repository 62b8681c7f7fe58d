// Picking the kernel table from the CPU's features and the environment.
#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "engine/kernels/kernels.h"

namespace hydra::engine {
namespace {

bool has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

bool has_avx512() {
  __builtin_cpu_init();
  return has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}

bool has_avx512_vnni() {
  __builtin_cpu_init();
  return has_avx512() && __builtin_cpu_supports("avx512vnni");
}

bool has_avx512_bf16() {
  __builtin_cpu_init();
  return has_avx512_vnni() && __builtin_cpu_supports("avx512bf16");
}

constexpr KernelPath kAllPaths[] = {KernelPath::kScalar, KernelPath::kAvx2, KernelPath::kAvx512,
                                    KernelPath::kAvx512Vnni, KernelPath::kAvx512Bf16};

KernelPath initial_path() {
  const char* env = std::getenv("HYDRA_ENGINE_KERNELS");
  if (env == nullptr || *env == '\0') return best_kernel_path();
  const auto path = kernel_path_from_name(env);
  if (!path) {
    throw std::invalid_argument(std::string("HYDRA_ENGINE_KERNELS=") + env +
                                " is not one of scalar, avx2, avx512, avx512_vnni, avx512_bf16");
  }
  if (!kernel_path_supported(*path)) {
    throw std::invalid_argument(std::string("HYDRA_ENGINE_KERNELS=") + env +
                                ": this CPU does not support it");
  }
  return *path;
}

std::atomic<const KernelTable*>& active_table() {
  static std::atomic<const KernelTable*> table{&kernel_table(initial_path())};
  return table;
}

}  // namespace

std::string_view kernel_path_name(KernelPath path) {
  switch (path) {
    case KernelPath::kScalar:
      return "scalar";
    case KernelPath::kAvx2:
      return "avx2";
    case KernelPath::kAvx512:
      return "avx512";
    case KernelPath::kAvx512Vnni:
      return "avx512_vnni";
    case KernelPath::kAvx512Bf16:
      return "avx512_bf16";
  }
  return "scalar";
}

std::optional<KernelPath> kernel_path_from_name(std::string_view name) {
  for (KernelPath p : kAllPaths) {
    if (kernel_path_name(p) == name) return p;
  }
  return std::nullopt;
}

bool kernel_path_supported(KernelPath path) {
  switch (path) {
    case KernelPath::kScalar:
      return true;
    case KernelPath::kAvx2:
      return has_avx2();
    case KernelPath::kAvx512:
      return has_avx512();
    case KernelPath::kAvx512Vnni:
      return has_avx512_vnni();
    case KernelPath::kAvx512Bf16:
      return has_avx512_bf16();
  }
  return false;
}

// avx512_bf16 is only taken when asked for: on the Xeon this was measured
// on, vdpbf16ps ran at half the multiply-add rate of FMA (kernels/README).
KernelPath best_kernel_path() {
  if (has_avx512_vnni()) return KernelPath::kAvx512Vnni;
  if (has_avx512()) return KernelPath::kAvx512;
  if (has_avx2()) return KernelPath::kAvx2;
  return KernelPath::kScalar;
}

const KernelTable& kernel_table(KernelPath path) {
  switch (path) {
    case KernelPath::kAvx2:
      return avx2_kernel_table();
    case KernelPath::kAvx512:
      return avx512_kernel_table();
    case KernelPath::kAvx512Vnni:
      return avx512_vnni_kernel_table();
    case KernelPath::kAvx512Bf16:
      return avx512_bf16_kernel_table();
    case KernelPath::kScalar:
      break;
  }
  return scalar_kernel_table();
}

const KernelTable& kernels() {
  return *active_table().load(std::memory_order_relaxed);
}

KernelPath active_kernel_path() {
  const KernelTable* t = active_table().load(std::memory_order_relaxed);
  for (KernelPath p :
       {KernelPath::kAvx512Bf16, KernelPath::kAvx512Vnni, KernelPath::kAvx512, KernelPath::kAvx2}) {
    if (kernel_path_supported(p) && t == &kernel_table(p)) return p;
  }
  return KernelPath::kScalar;
}

void set_kernel_path(KernelPath path) {
  if (!kernel_path_supported(path)) {
    throw std::invalid_argument("this CPU does not support the " +
                                std::string(kernel_path_name(path)) + " kernels");
  }
  active_table().store(&kernel_table(path), std::memory_order_relaxed);
}

}  // namespace hydra::engine
