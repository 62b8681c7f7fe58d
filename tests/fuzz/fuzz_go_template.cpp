// libFuzzer target: arbitrary bytes as a runtime template (operator input),
// parsed and rendered against the variables a deployment supplies. Any
// outcome other than a rendering or an ApiError (a crash, a sanitizer
// report, a hang past the fuzzer timeout) is a bug. Rendering must be
// deterministic, and a template that parsed must render or fail cleanly.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/error.h"
#include "deploy/go_template.h"
#include "deploy/runtime_config.h"

namespace {

const boost::json::value& data() {
  static const boost::json::value d = boost::json::parse(R"({
    "RUN_TIME": "vllm", "MODEL_NAME": "m", "MODEL_PATH": "/data/serving-model",
    "IS_DISTRIBUTED": true, "IS_LEADER": false, "TP_SIZE": 2, "PP_SIZE": 1,
    "MODEL_ID": "id", "CLUSTER": "local", "NAMESPACE": "ns", "MODEL_HOST": "0.0.0.0",
    "MODEL_PORT": 8000, "CUSTOM_ARGS": ["--a=1", "--b"], "M": {"k": [1, 2.5, null, true]},
    "E": [], "F": 1e300, "N": -9223372036854775808})");
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(bytes), size);
  try {
    hydra::deploy::GoTemplate t = hydra::deploy::GoTemplate::parse(text);
    std::string first;
    bool ok = false;
    try {
      first = t.render(data());
      ok = true;
    } catch (const hydra::ApiError&) {
    }
    if (ok && t.render(data()) != first) std::abort();
  } catch (const hydra::ApiError&) {
  }
  // The same bytes as a single-line args template of a runtime.
  try {
    hydra::deploy::RuntimeSpec spec;
    spec.command_template = {"/bin/bash", "-c"};
    spec.args_template = {std::string(text)};
    hydra::deploy::render_runtime(spec, data().as_object());
  } catch (const hydra::ApiError&) {
  }
  return 0;
}
