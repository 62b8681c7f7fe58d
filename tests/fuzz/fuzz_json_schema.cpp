// libFuzzer target: a request's JSON schema and the bytes a model might
// write under it. The input is `<schema JSON>\n<bytes>`. Compiling must end
// in a schema or an ApiError; the grammar must take or refuse each byte
// without crashing, and from wherever it stopped its completion must close
// the value (the promise constrained decoding relies on).
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "engine/sampling/json_schema.h"
#include "engine/sampling/schema_grammar.h"

using namespace hydra::engine;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\n');
  const std::string_view schema_text = input.substr(0, split);
  const std::string_view bytes =
      split == std::string_view::npos ? std::string_view() : input.substr(split + 1);
  boost::system::error_code ec;
  const boost::json::value schema = boost::json::parse(schema_text, ec);
  if (ec) return 0;
  std::shared_ptr<const JsonSchema> compiled;
  try {
    compiled = compile_json_schema(schema, "schema");
  } catch (const hydra::ApiError&) {
    return 0;
  }
  SchemaGrammar g(*compiled);
  for (char c : bytes) {
    SchemaGrammar next = g;
    if (!next.advance(static_cast<uint8_t>(c))) break;
    g = next;
  }
  const std::string rest = g.completion();
  if (!g.advance(rest) || !g.may_end()) __builtin_trap();
  return 0;
}
