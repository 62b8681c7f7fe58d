// Turning chat and completion request bodies into generation jobs: decode
// and validate the body, render the chat template, tokenize, settle the
// defaults (max_tokens fills the context, a fresh seed when none is given).
#include <cstring>

#include "common/error.h"
#include "common/json.h"
#include "common/random.h"
#include "engine/server/chat_inputs.h"
#include "engine/server/job.h"
#include "engine/server/tool_choice.h"

namespace hydra::engine {

namespace bj = boost::json;

namespace {

uint64_t fresh_seed() {
  const std::string b = random_bytes(8);
  uint64_t s = 0;
  std::memcpy(&s, b.data(), sizeof s);
  return s;
}

void settle_defaults(GenerationRequest& r, int64_t n_ctx) {
  const int64_t room = n_ctx - static_cast<int64_t>(r.prompt.size());
  if (room <= 0) {
    throw_param("the prompt (" + std::to_string(r.prompt.size()) +
                    " tokens) does not fit the context length of " + std::to_string(n_ctx),
                "messages");
  }
  if (r.params.max_tokens == 0) r.params.max_tokens = static_cast<int32_t>(room);
  r.seed = r.params.seed ? *r.params.seed : fresh_seed();
  validate(r.params);
}

// A prompt given as token ids: [1, 2, 3] or [[1, 2, 3]].
bool read_id_list(const bj::array& a, std::vector<int32_t>& out) {
  for (const auto& v : a) {
    if (!v.is_int64()) return false;
    const int64_t id = v.get_int64();
    if (id < 0 || id > INT32_MAX)
      throw_param("token id " + std::to_string(id) + " is invalid", "prompt");
    out.push_back(static_cast<int32_t>(id));
  }
  return true;
}

std::vector<int32_t> read_prompt(const bj::value* p, const Tokenizer& tok) {
  const char* shape = "'prompt' must be a string, a list of token ids, or a list of one of them";
  if (!p) throw_param("'prompt' is required", "prompt");
  EncodeOptions opts{.add_special = true, .parse_special = true};
  if (p->is_string()) return tok.encode(p->get_string(), opts);
  if (!p->is_array() || p->get_array().empty()) throw_param(shape, "prompt");
  const bj::array& a = p->get_array();
  std::vector<int32_t> ids;
  if (read_id_list(a, ids)) return ids;
  if (a.size() > 1)
    throw_param("batched prompts are not supported; send one prompt per request", "prompt");
  if (a[0].is_string()) return tok.encode(a[0].get_string(), opts);
  if (a[0].is_array() && read_id_list(a[0].get_array(), ids)) return ids;
  throw_param(shape, "prompt");
}

}  // namespace

std::shared_ptr<EngineService::Job> EngineService::prepare_chat(const std::string& body_text) {
  if (!runtime_) throw_param("this is an embedding model; it serves /v1/embeddings only", "model");
  const bj::value body = hydra::json::parse(body_text);
  hydra::json::Fields f(body);
  check_model_name(f, name());
  const chat::ChatInputs in = read_chat_inputs(f, *model_);
  const std::string prompt = render_prompt(*model_, in);
  auto job = std::make_shared<Job>();
  job->request.prompt =
      model_->tokenizer->encode(prompt, {.add_special = false, .parse_special = true});
  job->request.params = read_sampling_params(f, Endpoint::kChat);
  job->stream = read_stream_settings(f);
  chat::ToolCallFormat format =
      in.tools.is_array() ? model_->tool_format : chat::ToolCallFormat::kNone;
  if (auto forced = forced_tool_call_schema(f.opt_value("tool_choice"), in.tools)) {
    SamplingParams& p = job->request.params;
    if (p.json_mode || p.json_schema)
      throw_param("a forced tool_choice cannot be combined with a JSON response_format",
                  "response_format");
    p.json_schema = std::move(forced);
    format = chat::ToolCallFormat::kLlama3Json;  // the constrained reply's shape
  }
  settle_defaults(job->request, model_->n_ctx);
  job->shape = make_chat_shape(name(), *model_->tokenizer, job->request.params.n, format);
  return job;
}

std::shared_ptr<EngineService::Job> EngineService::prepare_completion(
    const std::string& body_text) {
  if (!runtime_) throw_param("this is an embedding model; it serves /v1/embeddings only", "model");
  const bj::value body = hydra::json::parse(body_text);
  hydra::json::Fields f(body);
  check_model_name(f, name());
  auto job = std::make_shared<Job>();
  job->request.prompt = read_prompt(f.opt_value("prompt"), *model_->tokenizer);
  job->request.params = read_sampling_params(f, Endpoint::kCompletion);
  job->stream = read_stream_settings(f);
  settle_defaults(job->request, model_->n_ctx);
  job->shape = make_completion_shape(name(), *model_->tokenizer, job->request.params.n);
  return job;
}

}  // namespace hydra::engine
