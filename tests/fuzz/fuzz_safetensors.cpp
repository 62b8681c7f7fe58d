// libFuzzer target: arbitrary bytes as a safetensors file from memory. Any
// input must end in a parsed file or a FormatError; parsed tensors are read
// end to end, so a bad offset shows up as a sanitizer finding.
#include <cstddef>
#include <cstdint>

#include "engine/format/format_error.h"
#include "engine/format/safetensors.h"

using namespace hydra::engine;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const SafetensorsFile f = parse_safetensors(data, size, "fuzz");
    volatile uint64_t sink = 0;
    for (const auto& t : f.tensors) {
      if (t.nbytes() > 0) sink = sink + t.data[0] + t.data[t.nbytes() - 1];
      if (t.nbytes() <= (1u << 16)) {
        try {
          sink = sink + tensor_to_f32(t).size();
        } catch (const FormatError&) {
        }
      }
    }
  } catch (const FormatError&) {
  }
  return 0;
}
