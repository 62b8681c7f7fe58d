#pragma once
// Naming rules for catalog resources. Each check returns false instead of
// throwing so that the importer can turn a bad name into a per-item reason.
#include <string>
#include <string_view>

namespace hydra::catalog {

// Providers: 1-64 chars of [a-z0-9-], starting and ending alphanumeric.
bool valid_provider_id(std::string_view s);
// Models and MaaS models: 1-128 chars of [a-z0-9._-], starting and ending
// alphanumeric (ModelHub names such as "qwen2.5-7b-instruct" carry dots).
bool valid_model_id(std::string_view s);
// Runtime template names: as model ids, at most 64 chars ("llama.cpp").
bool valid_runtime_name(std::string_view s);
// Environment variable names: [A-Za-z_][A-Za-z0-9_]*, at most 128 chars.
bool valid_env_name(std::string_view s);
// Tags: 1-64 chars of [A-Z0-9_].
bool valid_tag(std::string_view s);

// "Text-Generation" -> "TEXT_GENERATION"; "rerank" -> "RERANK_MODEL".
std::string normalize_tag(std::string_view s);
// Lower-cases and turns spaces and underscores into '-' ("Moonshot AI" -> "moonshot-ai").
std::string normalize_provider_id(std::string_view s);

// Throw PARAM_ERROR naming `param` when the rule does not hold.
void check_provider_id(std::string_view s, const char* param = "id");
void check_model_id(std::string_view s, const char* param = "id");

}  // namespace hydra::catalog
