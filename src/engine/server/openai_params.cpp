#include "engine/server/openai_params.h"

#include "common/error.h"
#include "engine/sampling/json_schema.h"

namespace hydra::engine {

namespace {

float opt_float(hydra::json::Fields& f, std::string_view key, float fallback) {
  auto v = f.opt_f64(key);
  return v ? static_cast<float>(*v) : fallback;
}

int32_t opt_int(hydra::json::Fields& f, std::string_view key, int32_t fallback, int64_t lo,
                int64_t hi) {
  auto v = f.opt_i64(key);
  if (!v) return fallback;
  if (*v < lo || *v > hi) {
    throw_param("'" + std::string(key) + "' must be between " + std::to_string(lo) + " and " +
                    std::to_string(hi),
                std::string(key));
  }
  return static_cast<int32_t>(*v);
}

std::vector<std::string> read_stop(hydra::json::Fields& f) {
  const boost::json::value* v = f.opt_value("stop");
  std::vector<std::string> out;
  if (!v) return out;
  if (v->is_string()) {
    out.emplace_back(v->get_string());
  } else if (v->is_array()) {
    for (const auto& s : v->get_array()) {
      if (!s.is_string()) throw_param("'stop' must be a string or a list of strings", "stop");
      out.emplace_back(s.get_string());
    }
  } else {
    throw_param("'stop' must be a string or a list of strings", "stop");
  }
  for (const auto& s : out) {
    if (s.empty()) throw_param("'stop' strings must not be empty", "stop");
  }
  return out;
}

std::vector<int32_t> read_stop_ids(hydra::json::Fields& f) {
  const boost::json::array* a = f.opt_array("stop_token_ids");
  std::vector<int32_t> out;
  if (!a) return out;
  for (const auto& v : *a) {
    if (!v.is_int64() || v.get_int64() < 0 || v.get_int64() > INT32_MAX)
      throw_param("'stop_token_ids' must be a list of token ids", "stop_token_ids");
    out.push_back(static_cast<int32_t>(v.get_int64()));
  }
  return out;
}

// response_format: text, json_object, or json_schema {name, schema, strict}.
void read_response_format(hydra::json::Fields& f, SamplingParams& p) {
  const boost::json::object* rf = f.opt_object("response_format");
  if (!rf) return;
  auto it = rf->find("type");
  if (it == rf->end() || !it->value().is_string())
    throw_param("'response_format.type' must be a string", "response_format.type");
  const auto& type = it->value().get_string();
  if (type == "text") return;
  if (type == "json_object") {
    p.json_mode = true;
    return;
  }
  if (type != "json_schema") {
    throw_param("response_format type '" + std::string(type) +
                    "' is not supported (use 'text', 'json_object' or 'json_schema')",
                "response_format.type");
  }
  const boost::json::value* js = rf->if_contains("json_schema");
  if (!js || !js->is_object())
    throw_param("'response_format.json_schema' must be an object", "response_format.json_schema");
  const boost::json::value* schema = js->as_object().if_contains("schema");
  if (!schema) {
    throw_param("'response_format.json_schema.schema' is required",
                "response_format.json_schema.schema");
  }
  p.json_schema = compile_json_schema(*schema, "response_format.json_schema.schema");
}

void read_logprobs(hydra::json::Fields& f, Endpoint endpoint, SamplingParams& p) {
  if (endpoint == Endpoint::kChat) {
    p.logprobs = f.opt_bool("logprobs").value_or(false);
    p.top_logprobs = opt_int(f, "top_logprobs", 0, 0, 20);
    if (p.top_logprobs > 0 && !p.logprobs)
      throw_param("'top_logprobs' requires 'logprobs' to be true", "top_logprobs");
    return;
  }
  // Completions: logprobs is the number of alternatives (0..5 in OpenAI; 20 here).
  auto k = f.opt_i64("logprobs");
  if (!k) return;
  if (*k < 0 || *k > 20) throw_param("'logprobs' must be between 0 and 20", "logprobs");
  p.logprobs = true;
  p.top_logprobs = static_cast<int32_t>(*k);
}

// A boolean of stream_options; absent or null is false.
bool option_flag(const boost::json::object& options, const char* key) {
  auto it = options.find(key);
  if (it == options.end() || it->value().is_null()) return false;
  if (!it->value().is_bool()) {
    const std::string name = std::string("stream_options.") + key;
    throw_param("'" + name + "' must be a boolean", name);
  }
  return it->value().get_bool();
}

}  // namespace

SamplingParams read_sampling_params(hydra::json::Fields& f, Endpoint endpoint) {
  SamplingParams p;
  p.temperature = opt_float(f, "temperature", 1.0f);
  p.top_p = opt_float(f, "top_p", 1.0f);
  p.top_k = opt_int(f, "top_k", 0, -1, INT32_MAX);
  p.min_p = opt_float(f, "min_p", 0.0f);
  p.presence_penalty = opt_float(f, "presence_penalty", 0.0f);
  p.frequency_penalty = opt_float(f, "frequency_penalty", 0.0f);
  p.repetition_penalty = opt_float(f, "repetition_penalty", 1.0f);
  if (auto seed = f.opt_i64("seed")) p.seed = static_cast<uint64_t>(*seed);
  p.n = opt_int(f, "n", 1, 1, 128);
  int32_t max_tokens = opt_int(f, "max_tokens", 0, 1, INT32_MAX);
  if (endpoint == Endpoint::kChat) {
    max_tokens = opt_int(f, "max_completion_tokens", max_tokens, 1, INT32_MAX);
  }
  p.max_tokens = max_tokens;
  p.stop = read_stop(f);
  p.stop_token_ids = read_stop_ids(f);
  p.ignore_eos = f.opt_bool("ignore_eos").value_or(false);
  read_response_format(f, p);
  read_logprobs(f, endpoint, p);
  return p;
}

StreamSettings read_stream_settings(hydra::json::Fields& f) {
  StreamSettings s;
  s.stream = f.opt_bool("stream").value_or(false);
  if (const boost::json::object* so = f.opt_object("stream_options")) {
    s.include_usage = option_flag(*so, "include_usage");
    s.continuous_usage = s.include_usage && option_flag(*so, "continuous_usage_stats");
  }
  return s;
}

}  // namespace hydra::engine
