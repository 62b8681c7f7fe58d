#include "engine/server/chat_inputs.h"

#include "common/error.h"

namespace hydra::engine {

namespace bj = boost::json;

namespace {

void check_message(const bj::value& m, size_t i) {
  const std::string where = "messages[" + std::to_string(i) + "]";
  if (!m.is_object()) throw_param("'" + where + "' must be an object", where);
  const bj::object& o = m.get_object();
  auto role = o.find("role");
  if (role == o.end() || !role->value().is_string())
    throw_param("'" + where + ".role' must be a string", where + ".role");
  auto content = o.find("content");
  if (content != o.end()) {
    const bj::value& c = content->value();
    if (!c.is_string() && !c.is_array() && !c.is_null())
      throw_param("'" + where + ".content' must be a string, a list of parts or null",
                  where + ".content");
  }
}

}  // namespace

chat::ChatInputs read_chat_inputs(hydra::json::Fields& f, const LoadedModel& model) {
  chat::ChatInputs in;
  const bj::array* messages = f.opt_array("messages");
  if (!messages || messages->empty())
    throw_param("'messages' must be a non-empty list", "messages");
  for (size_t i = 0; i < messages->size(); ++i) check_message((*messages)[i], i);
  in.messages = *messages;
  if (const bj::array* tools = f.opt_array("tools")) {
    for (const auto& t : *tools) {
      if (!t.is_object()) throw_param("'tools' must be a list of objects", "tools");
    }
    if (!tools->empty()) in.tools = *tools;
  }
  if (const bj::value* choice = f.opt_value("tool_choice")) {
    if (choice->is_string() && choice->get_string() == "none") in.tools = nullptr;
  }
  in.add_generation_prompt = f.opt_bool("add_generation_prompt").value_or(true);
  if (const bj::object* kwargs = f.opt_object("chat_template_kwargs")) in.extra = *kwargs;
  in.bos_token = model.bos_text();
  in.eos_token = model.eos_text();
  return in;
}

std::string render_prompt(const LoadedModel& model, const chat::ChatInputs& inputs) {
  if (!model.chat_template) throw_param("this model has no chat template; use /v1/completions");
  return chat::render_chat(*model.chat_template, inputs);
}

void check_model_name(hydra::json::Fields& f, const std::string& served_name) {
  auto name = f.opt_str("model");
  if (name && *name != served_name) {
    throw ApiError(ErrorCode::kModelNotFound, "the model '" + *name + "' does not exist", "model");
  }
}

}  // namespace hydra::engine
