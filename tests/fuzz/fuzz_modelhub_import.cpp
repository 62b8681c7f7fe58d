// libFuzzer target: arbitrary bytes as a ModelHub import (metadata.yaml or
// a merged index.yaml), and as a multipart/form-data upload carrying one.
// Every input must end in parsed items or an ApiError (PARAM_ERROR); then
// the parsed items are turned into their JSON, so that path is fuzzed too.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "catalog/import_source.h"
#include "catalog/modelhub.h"
#include "common/error.h"
#include "common/json.h"

using namespace hydra;

namespace {

void parse_and_render(std::string_view text) {
  try {
    auto items = catalog::parse_modelhub(text);
    size_t sink = 0;
    for (const auto& item : items) {
      sink += json::dump(catalog::to_json(item.model)).size() + item.warnings.size();
      for (const auto& t : item.templates) sink += json::dump(catalog::to_json(t)).size();
    }
    volatile size_t keep = sink;
    (void)keep;
  } catch (const ApiError& e) {
    if (e.code() != ErrorCode::kParamError) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  parse_and_render(text);
  try {
    auto file = catalog::multipart_field("multipart/form-data; boundary=fuzz", text, "file");
    if (file) parse_and_render(*file);
  } catch (const ApiError& e) {
    if (e.code() != ErrorCode::kParamError) __builtin_trap();
  }
  return 0;
}
