#include "deploy/runtime_config.h"

#include <yaml-cpp/yaml.h>

#include "catalog/yaml_reader.h"
#include "common/error.h"
#include "deploy/go_template.h"

namespace hydra::deploy {
namespace {

namespace bj = boost::json;

constexpr size_t kMaxTemplates = 200;
constexpr size_t kMaxArgs = 200;

YAML::Node load_yaml(std::string_view text) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw ApiError(ErrorCode::kParamError, std::string("invalid YAML: ") + e.what(), "yaml");
  }
}

// Template strings are taken verbatim: trimming would change what Go renders.
std::vector<std::string> raw_strings(catalog::YamlReader& r, const std::optional<YAML::Node>& n) {
  std::vector<std::string> out;
  if (!n) return out;
  if (n->IsScalar()) {
    out.push_back(n->Scalar());
    return out;
  }
  for (const auto& e : r.elements(*n, kMaxArgs)) {
    if (!e.IsScalar()) throw_param("command and args templates must be lists of strings", "yaml");
    r.spend(e.Scalar().size() / 16 + 1);
    out.push_back(e.Scalar());
  }
  return out;
}

bool mentions_custom_args(const std::vector<std::string>& tmpl) {
  for (const auto& t : tmpl) {
    if (t.find("CUSTOM_ARGS") != std::string::npos) return true;
  }
  return false;
}

// True for an element that is nothing but the action {{ .CUSTOM_ARGS }}.
bool is_custom_args_slot(std::string_view t) {
  std::string s;
  for (char c : t) {
    if (c != ' ' && c != '\t' && c != '-') s += c;
  }
  return s == "{{.CUSTOM_ARGS}}";
}

std::vector<std::string> custom_args_of(const bj::object& vars) {
  std::vector<std::string> out;
  const bj::value* v = vars.if_contains("CUSTOM_ARGS");
  if (!v || !v->is_array()) return out;
  for (const auto& a : v->get_array()) out.push_back(go_print(a));
  return out;
}

bool blank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

}  // namespace

std::vector<RuntimeSpec> parse_runtime_config(std::string_view yaml) {
  YAML::Node root = load_yaml(yaml);
  catalog::YamlReader r;
  auto templates = r.child(root, "templates");
  if (!catalog::is_seq(templates)) throw_param("config.yaml needs a `templates:` list", "yaml");
  std::vector<RuntimeSpec> out;
  for (const auto& t : r.elements(*templates, kMaxTemplates)) {
    RuntimeSpec spec;
    spec.runtime = r.text(r.child(t, "runtime"));
    if (spec.runtime.empty()) throw_param("every template needs a `runtime`", "yaml");
    spec.runtime_zh = r.text(r.child(t, "runtimeZH"));
    auto pod = r.child(t, "podTemplate");
    auto container = pod && pod->IsMap() ? r.child(*pod, "containerTemplate") : std::nullopt;
    if (container && container->IsMap()) {
      spec.command_template = raw_strings(r, r.child(*container, "commandTemplate"));
      spec.args_template = raw_strings(r, r.child(*container, "argsTemplate"));
    }
    for (const auto& s : spec.command_template) GoTemplate::parse(s);
    for (const auto& s : spec.args_template) GoTemplate::parse(s);
    out.push_back(std::move(spec));
  }
  return out;
}

RenderedCommand render_runtime(const RuntimeSpec& spec, const bj::object& vars) {
  RenderedCommand out;
  bj::value data(vars);
  for (const auto& c : spec.command_template) {
    std::string s = render_go_template(c, data);
    if (!blank(s)) out.command.push_back(std::move(s));
  }
  std::vector<std::string> custom = custom_args_of(vars);
  if (spec.args_template.empty()) {
    out.args = custom;
    return out;
  }
  if (!spec.command_template.empty() && spec.args_template.size() == 1) {
    out.args.push_back(render_go_template(spec.args_template[0], data));
    return out;
  }
  for (const auto& a : spec.args_template) {
    if (is_custom_args_slot(a)) {
      out.args.insert(out.args.end(), custom.begin(), custom.end());
      continue;
    }
    std::string s = render_go_template(a, data);
    if (!blank(s)) out.args.push_back(std::move(s));
  }
  if (!mentions_custom_args(spec.args_template)) {
    out.args.insert(out.args.end(), custom.begin(), custom.end());
  }
  return out;
}

std::vector<ImageRule> parse_agent_image_rules(std::string_view yaml) {
  YAML::Node root = load_yaml(yaml);
  catalog::YamlReader r;
  auto list = r.child(root, "deployment_templates");
  if (!catalog::is_seq(list)) throw_param("the agent config needs `deployment_templates:`", "yaml");
  std::vector<ImageRule> out;
  for (const auto& t : r.elements(*list, kMaxTemplates)) {
    ImageRule rule;
    rule.match_runtimes = r.strings(r.child(t, "match_runtimes"), kMaxArgs);
    rule.match_gpu_types = r.strings(r.child(t, "match_gpu_types"), kMaxArgs);
    auto ct = r.child(t, "container_template");
    auto image = ct && ct->IsMap() ? r.child(*ct, "image") : std::nullopt;
    if (image && image->IsMap()) {
      std::string registry = r.text(r.child(*image, "registry"));
      std::string repo = r.text(r.child(*image, "repository"));
      std::string tag = r.text(r.child(*image, "tag"));
      rule.image = (registry.empty() ? "" : registry + "/") + repo + (tag.empty() ? "" : ":" + tag);
    } else {
      rule.image = r.text(image);
    }
    if (rule.image.empty()) throw_param("every deployment template needs an image", "yaml");
    out.push_back(std::move(rule));
  }
  return out;
}

std::optional<std::string> match_image(const std::vector<ImageRule>& rules,
                                       std::string_view runtime, std::string_view gpu_type) {
  auto has = [](const std::vector<std::string>& list, std::string_view want) {
    for (const auto& s : list) {
      if (s == want || s == "*") return true;
    }
    return false;
  };
  for (const auto& rule : rules) {
    if (has(rule.match_runtimes, runtime) && has(rule.match_gpu_types, gpu_type)) return rule.image;
  }
  return std::nullopt;
}

}  // namespace hydra::deploy
