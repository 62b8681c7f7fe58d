// libFuzzer target: arbitrary bytes as a GGUF file from memory. Any input
// must end in a parsed file or a FormatError; then every accessor is
// exercised on what was parsed, so they are fuzzed too.
#include <cstddef>
#include <cstdint>

#include "engine/format/format_error.h"
#include "engine/format/gguf.h"
#include "engine/format/model_config.h"

using namespace hydra::engine;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const GgufFile f = parse_gguf(data, size, "fuzz");
    volatile uint64_t sink = 0;
    for (const auto& [key, value] : f.metadata) {
      sink = sink + value.size();
      try {
        sink = sink + f.get_u64(key) + f.get_arr_i32(key).size() + f.get_arr_f32(key).size();
      } catch (const FormatError&) {
      }
    }
    for (const auto& t : f.tensors) {
      // Tensor bytes were bounds-checked: touch the first and last byte.
      if (t.nbytes > 0) sink = sink + t.data[0] + t.data[t.nbytes - 1];
    }
    try {
      sink = sink + model_config_from_gguf(f).hidden_size;
    } catch (const FormatError&) {
    }
  } catch (const FormatError&) {
  }
  return 0;
}
