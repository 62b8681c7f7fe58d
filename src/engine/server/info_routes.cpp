// The synchronous routes: models, tokenize/detokenize (vLLM shapes),
// apply-template, embeddings. They run on the HTTP worker pool.
#include <cstring>

#include "common/error.h"
#include "common/json.h"
#include "engine/model/encoder.h"
#include "engine/server/chat_inputs.h"
#include "engine/server/engine_service.h"

namespace hydra::engine {

namespace bj = boost::json;

namespace {

bj::array ids_json(const std::vector<int32_t>& ids) {
  bj::array a;
  a.reserve(ids.size());
  for (int32_t id : ids) a.push_back(id);
  return a;
}

std::vector<int32_t> read_ids(const bj::value* v, const char* field) {
  if (!v || !v->is_array())
    throw_param(std::string("'") + field + "' must be a list of token ids", field);
  std::vector<int32_t> out;
  for (const auto& x : v->get_array()) {
    if (!x.is_int64() || x.get_int64() < 0 || x.get_int64() > INT32_MAX)
      throw_param(std::string("'") + field + "' must be a list of token ids", field);
    out.push_back(static_cast<int32_t>(x.get_int64()));
  }
  return out;
}

std::string base64(const std::string& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v =
        (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    if (rest == 2) v |= uint8_t(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// Embedding inputs: a string, a list of strings, a list of ids, or a list
// of lists of ids.
std::vector<std::vector<int32_t>> read_embedding_inputs(const bj::value* v, const Tokenizer& tok) {
  const char* shape = "'input' must be a string, a list of strings or a list of token id lists";
  if (!v) throw_param("'input' is required", "input");
  std::vector<std::vector<int32_t>> out;
  if (v->is_string()) {
    out.push_back(tok.encode(v->get_string()));
    return out;
  }
  if (!v->is_array() || v->get_array().empty()) throw_param(shape, "input");
  const bj::array& a = v->get_array();
  if (a[0].is_int64()) {
    out.push_back(read_ids(v, "input"));
    return out;
  }
  for (const auto& item : a) {
    if (item.is_string()) {
      out.push_back(tok.encode(item.get_string()));
    } else if (item.is_array()) {
      out.push_back(read_ids(&item, "input"));
    } else {
      throw_param(shape, "input");
    }
  }
  return out;
}

}  // namespace

http::Response EngineService::models() {
  bj::object m{{"id", name()},        {"object", "model"}, {"created", created_},
               {"owned_by", "hydra"}, {"root", name()},    {"max_model_len", model_->n_ctx}};
  bj::object body{{"object", "list"}, {"data", bj::array{std::move(m)}}};
  return http::Response::json(200, body);
}

http::Response EngineService::tokenize(const http::Request& req) {
  const bj::value body = hydra::json::parse(req.body);
  hydra::json::Fields f(body);
  check_model_name(f, name());
  std::vector<int32_t> ids;
  if (f.has("messages")) {
    const chat::ChatInputs in = read_chat_inputs(f, *model_);
    const bool add_special = f.opt_bool("add_special_tokens").value_or(false);
    ids = model_->tokenizer->encode(render_prompt(*model_, in),
                                    {.add_special = add_special, .parse_special = true});
  } else {
    auto prompt = f.opt_str("prompt");
    if (!prompt) throw_param("'prompt' or 'messages' is required", "prompt");
    const bool add_special = f.opt_bool("add_special_tokens").value_or(true);
    ids = model_->tokenizer->encode(*prompt, {.add_special = add_special, .parse_special = true});
  }
  bj::object out{
      {"count", ids.size()}, {"max_model_len", model_->n_ctx}, {"tokens", ids_json(ids)}};
  if (f.opt_bool("return_token_strs").value_or(false)) {
    bj::array strs;
    for (int32_t id : ids) strs.push_back(bj::string(model_->tokenizer->token_to_piece(id, true)));
    out["token_strs"] = std::move(strs);
  }
  return http::Response::json(200, out);
}

http::Response EngineService::detokenize(const http::Request& req) {
  const bj::value body = hydra::json::parse(req.body);
  hydra::json::Fields f(body);
  check_model_name(f, name());
  const std::vector<int32_t> ids = read_ids(f.opt_value("tokens"), "tokens");
  bj::object out{{"prompt", model_->tokenizer->decode(ids)}};
  return http::Response::json(200, out);
}

http::Response EngineService::apply_template(const http::Request& req) {
  const bj::value body = hydra::json::parse(req.body);
  hydra::json::Fields f(body);
  check_model_name(f, name());
  const chat::ChatInputs in = read_chat_inputs(f, *model_);
  bj::object out{{"prompt", render_prompt(*model_, in)}};
  return http::Response::json(200, out);
}

http::Response EngineService::embeddings(const http::Request& req) {
  const bj::value body = hydra::json::parse(req.body);
  hydra::json::Fields f(body);
  check_model_name(f, name());
  if (!model_->model->is_encoder()) {
    throw_param("this model generates text; embeddings need an encoder (BERT-style) model",
                "model");
  }
  const std::string format = f.opt_str("encoding_format").value_or("float");
  if (format != "float" && format != "base64")
    throw_param("'encoding_format' must be 'float' or 'base64'", "encoding_format");
  const auto inputs = read_embedding_inputs(f.opt_value("input"), *model_->tokenizer);
  bj::array data;
  int64_t tokens = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].empty()) throw_param("an input has no tokens", "input");
    for (int32_t id : inputs[i]) {
      if (!model_->tokenizer->valid_id(id))
        throw_param("token id " + std::to_string(id) + " is outside the vocabulary", "input");
    }
    tokens += static_cast<int64_t>(inputs[i].size());
    const std::vector<float> v = embed(*model_->model, inputs[i]);
    bj::object item{{"object", "embedding"}, {"index", static_cast<int64_t>(i)}};
    if (format == "base64") {
      std::string raw(v.size() * sizeof(float), '\0');
      std::memcpy(raw.data(), v.data(), raw.size());
      item["embedding"] = base64(raw);
    } else {
      bj::array vec;
      vec.reserve(v.size());
      for (float x : v) vec.push_back(x);
      item["embedding"] = std::move(vec);
    }
    data.push_back(std::move(item));
  }
  bj::object out{{"object", "list"},
                 {"data", std::move(data)},
                 {"model", name()},
                 {"usage", bj::object{{"prompt_tokens", tokens}, {"total_tokens", tokens}}}};
  return http::Response::json(200, out);
}

}  // namespace hydra::engine
