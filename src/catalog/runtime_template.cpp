#include "catalog/runtime_template.h"

#include "catalog/go_template_check.h"
#include "catalog/names.h"
#include "common/error.h"
#include "common/json.h"

namespace hydra::catalog {
namespace {

void check_template(std::string_view text, const std::string& param) {
  std::string problem = go_template_problem(text);
  if (!problem.empty()) throw_param("'" + param + "': " + problem, param);
}

void apply_fields(RuntimeTemplate& t, json::Fields& f) {
  if (auto* v = f.opt_value("display_name")) t.display_name = decode_localized(*v, "display_name");
  if (auto v = f.opt_str("command")) t.command = *v;
  if (auto* v = f.opt_value("args")) t.args = decode_string_list(*v, "args");
  if (auto* v = f.opt_value("env")) t.env = decode_string_map(*v, "env");
  if (auto* v = f.opt_value("images")) t.images = decode_string_map(*v, "images");
  if (auto v = f.opt_str("executable")) t.executable = *v;
  f.done();
}

}  // namespace

bj::object to_json(const RuntimeTemplate& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"display_name", to_json(t.display_name)},
          {"command", t.command},
          {"args", to_json(t.args)},
          {"env", to_json(t.env)},
          {"images", to_json(t.images)},
          {"executable", t.executable},
          {"created_at", t.created_at},
          {"updated_at", t.updated_at}};
}

void validate_runtime_template(const RuntimeTemplate& t) {
  if (!valid_runtime_name(t.name)) {
    throw_param("runtime name '" + t.name +
                    "' is invalid: use 1-64 characters of a-z, 0-9, '.', '_' and '-', starting and "
                    "ending with a letter or digit",
                "name");
  }
  if (t.command.empty() && t.executable.empty()) {
    throw_param("a runtime template needs a command or an executable", "command");
  }
  check_template(t.command, "command");
  for (size_t i = 0; i < t.args.size(); ++i)
    check_template(t.args[i], "args[" + std::to_string(i) + "]");
  for (const auto& [k, v] : t.env) {
    if (!valid_env_name(k)) throw_param("env name '" + k + "' is invalid", "env");
    check_template(v, "env." + k);
  }
  for (const auto& [gpu, image] : t.images) {
    if (gpu.empty() || image.empty() || image.find_first_of(" \t\r\n") != std::string::npos) {
      throw_param("images maps a gpu type to a container image reference", "images");
    }
  }
}

RuntimeTemplate runtime_template_from_json(const bj::value& body) {
  json::Fields f(body);
  RuntimeTemplate t;
  t.name = f.str("name");
  apply_fields(t, f);
  if (t.display_name.en_us.empty() && t.display_name.zh_cn.empty()) t.display_name.en_us = t.name;
  validate_runtime_template(t);
  return t;
}

void apply_runtime_template_patch(RuntimeTemplate& t, const bj::value& body) {
  json::Fields f(body);
  if (auto n = f.opt_str("name"); n && *n != t.name) {
    throw_param("'name' cannot be changed: deployment templates refer to it", "name");
  }
  if (auto id = f.opt_str("id"); id && *id != t.id) throw_param("'id' cannot be changed", "id");
  apply_fields(t, f);
  validate_runtime_template(t);
}

}  // namespace hydra::catalog
