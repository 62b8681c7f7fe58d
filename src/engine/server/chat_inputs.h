#pragma once
// Reading the parts of a request that feed the chat template (messages,
// tools, add_generation_prompt, chat_template_kwargs) and rendering it.
#include <string>

#include "common/json.h"
#include "engine/chat/chat.h"
#include "engine/runtime/loaded_model.h"

namespace hydra::engine {

// Validates shapes (messages: non-empty list of objects with a string role
// and string, list or null content; tools: list of objects). tool_choice
// "none" drops the tools.
chat::ChatInputs read_chat_inputs(hydra::json::Fields& f, const LoadedModel& model);

// The prompt text; a model without a chat template is PARAM_ERROR.
std::string render_prompt(const LoadedModel& model, const chat::ChatInputs& inputs);

// A request's optional "model" must name the served model (MODEL_NOT_FOUND).
void check_model_name(hydra::json::Fields& f, const std::string& served_name);

}  // namespace hydra::engine
