#pragma once
// Runtime templates: how to start an inference runtime (hydra-engine, vllm,
// sglang, llama.cpp, ...). Command, args and env values are Go
// text/template strings rendered by the deploy module.
#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/change_log.h"
#include "catalog/json_columns.h"
#include "store/store.h"

namespace hydra::catalog {

struct RuntimeTemplate {
  std::string id;
  std::string name;  // referenced by deployment templates; never changes
  Localized display_name;
  std::string command;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> images;  // gpu type -> container image (Kubernetes)
  std::string executable;                     // program path for the local backend
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

boost::json::object to_json(const RuntimeTemplate& t);
RuntimeTemplate runtime_template_from_json(const boost::json::value& body);
void apply_runtime_template_patch(RuntimeTemplate& t, const boost::json::value& body);
void validate_runtime_template(const RuntimeTemplate& t);

std::vector<RuntimeTemplate> list_runtime_templates(store::Store& st);
// By id or by name.
std::optional<RuntimeTemplate> find_runtime_template(store::Session& s, const std::string& key);
RuntimeTemplate get_runtime_template(store::Store& st, const std::string& key);

RuntimeTemplate create_runtime_template(store::Store& st, RuntimeTemplate t, const Actor& actor);
RuntimeTemplate update_runtime_template(store::Store& st, const std::string& key,
                                        const boost::json::value& patch, const Actor& actor);
// 409 while deployment templates use it.
void delete_runtime_template(store::Store& st, const std::string& key, const Actor& actor);

// The built-in runtimes, as seeded.
std::vector<RuntimeTemplate> builtin_runtime_templates();
// Adds the built-in runtimes that are missing (by name); safe on every
// start. Returns how many were added.
int seed_runtime_templates(store::Store& st);

}  // namespace hydra::catalog
