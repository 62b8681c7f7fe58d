#pragma once
// Runtime templates as DaoCloud Hydra writes them, and how a replica's
// command line is made from one.
//
// The control plane's `hydra-runtime-template` config.yaml lists
// `templates:` with `runtime`, `runtimeZH` and
// `podTemplate.containerTemplate.commandTemplate/argsTemplate` (Go
// templates). The agent's `deployment_templates:` pick a container image
// per runtime and GPU type (`match_runtimes`, `match_gpu_types`).
//
// CUSTOM_ARGS (the deployment template's custom args) follow the manual:
// - no argsTemplate: the args are CUSTOM_ARGS;
// - a command and a single-line argsTemplate (the `/bin/bash -c` style):
//   the template renders CUSTOM_ARGS itself; nothing is appended;
// - a multi-line argsTemplate (one arg per element): CUSTOM_ARGS are
//   appended after the rendered args, unless the template names
//   CUSTOM_ARGS; an element that is only `{{ .CUSTOM_ARGS }}` stands for the
//   custom args one per element (the built-in templates use it); elements
//   that render blank are dropped.
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hydra::deploy {

struct RuntimeSpec {
  std::string runtime;
  std::string runtime_zh;
  std::vector<std::string> command_template;
  std::vector<std::string> args_template;
};

// The `templates:` of a hydra-runtime-template config.yaml. Throws ApiError
// (PARAM_ERROR) on YAML errors, a template without `runtime`, or a command
// or args template that does not parse.
std::vector<RuntimeSpec> parse_runtime_config(std::string_view yaml);

struct RenderedCommand {
  std::vector<std::string> command;
  std::vector<std::string> args;
};

// Renders with `vars` (RUN_TIME, MODEL_PATH, ..., CUSTOM_ARGS as a list).
RenderedCommand render_runtime(const RuntimeSpec& spec, const boost::json::object& vars);

struct ImageRule {
  std::vector<std::string> match_runtimes;
  std::vector<std::string> match_gpu_types;
  std::string image;  // registry/repository:tag
};

// The `deployment_templates:` of a hydra-agent configmap.
std::vector<ImageRule> parse_agent_image_rules(std::string_view yaml);
// The first rule naming both the runtime and the GPU type ("*" matches any).
std::optional<std::string> match_image(const std::vector<ImageRule>& rules,
                                       std::string_view runtime, std::string_view gpu_type);

}  // namespace hydra::deploy
