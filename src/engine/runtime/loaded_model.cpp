#include "engine/runtime/loaded_model.h"

#include <filesystem>

#include "engine/format/gguf.h"
#include "engine/format/tokenizer_config.h"
#include "engine/tokenizer/gguf_vocab.h"
#include "engine/tokenizer/hf_vocab.h"

namespace hydra::engine {

namespace {

std::string token_text_or_empty(const Tokenizer& tok, int32_t id) {
  return tok.valid_id(id) ? tok.token_text(id) : std::string();
}

}  // namespace

std::string LoadedModel::bos_text() const {
  return token_text_or_empty(*tokenizer, tokenizer->vocab().bos);
}
std::string LoadedModel::eos_text() const {
  return token_text_or_empty(*tokenizer, tokenizer->vocab().eos);
}

std::unique_ptr<LoadedModel> load_for_serving(const std::string& path, int64_t n_ctx) {
  auto lm = std::make_unique<LoadedModel>();
  lm->model = load_model(path);
  if (std::filesystem::is_directory(path)) {
    lm->tokenizer = std::make_unique<Tokenizer>(read_hf_vocab(path));
    const std::string cfg = path + "/tokenizer_config.json";
    if (std::filesystem::exists(cfg))
      lm->template_source = read_tokenizer_config(cfg).chat_template;
  } else {
    const GgufFile file = read_gguf(path);
    lm->tokenizer = std::make_unique<Tokenizer>(vocab_from_gguf(file));
    lm->template_source = file.get_str("tokenizer.chat_template", "");
  }
  if (!lm->model->is_encoder()) lm->token_bytes = std::make_unique<TokenBytes>(*lm->tokenizer);
  if (!lm->template_source.empty()) {
    lm->chat_template = std::make_unique<jinja::Template>(lm->template_source);
    lm->tool_format = chat::detect_tool_call_format(lm->template_source);
  }
  const int64_t model_ctx = lm->model->config.max_position_embeddings;
  lm->n_ctx = n_ctx > 0 ? n_ctx : (model_ctx > 0 ? model_ctx : 2048);
  if (model_ctx > 0 && lm->n_ctx > model_ctx && lm->model->is_encoder()) lm->n_ctx = model_ctx;
  return lm;
}

}  // namespace hydra::engine
