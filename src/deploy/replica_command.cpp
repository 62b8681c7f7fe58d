#include "deploy/replica_command.h"

#include <boost/json.hpp>

#include "deploy/go_template.h"
#include "deploy/runtime_config.h"

namespace hydra::deploy {

namespace bj = boost::json;

bj::object template_variables(const Deployment& d, int port, const std::string& host) {
  bj::array custom;
  for (const auto& a : d.custom_args) custom.emplace_back(a);
  return bj::object{{"RUN_TIME", d.runtime},
                    {"MODEL_NAME", d.served_model_name},
                    {"IS_DISTRIBUTED", false},
                    {"MODEL_PATH", d.model_path},
                    {"IS_LEADER", false},
                    {"TP_SIZE", 1},
                    {"PP_SIZE", 1},
                    {"MODEL_ID", d.model_id},
                    {"CLUSTER", d.cluster},
                    {"NAMESPACE", d.name_space},
                    {"MODEL_HOST", host},
                    {"MODEL_PORT", port},
                    {"CUSTOM_ARGS", std::move(custom)}};
}

LaunchSpec replica_launch_spec(const Deployment& d, const catalog::RuntimeTemplate& rt, int port,
                               const std::string& start_token, const std::string& log_path,
                               const std::string& host) {
  bj::object vars = template_variables(d, port, host);
  RuntimeSpec spec;
  spec.runtime = rt.name;
  if (!rt.command.empty()) spec.command_template = {rt.command};
  spec.args_template = rt.args;
  RenderedCommand cmd = render_runtime(spec, vars);

  LaunchSpec out;
  std::string program = !rt.executable.empty() ? rt.executable
                        : !cmd.command.empty() ? cmd.command[0]
                                               : std::string();
  // The built-in engine is this binary, whichever path it was started from.
  if (program == "hydra") program = self_executable();
  out.argv.push_back(program);
  for (size_t i = 1; i < cmd.command.size(); ++i) out.argv.push_back(cmd.command[i]);
  out.argv.insert(out.argv.end(), cmd.args.begin(), cmd.args.end());
  bj::value data(vars);
  for (const auto& [k, v] : rt.env) out.env[k] = render_go_template(v, data);
  for (const auto& [k, v] : d.env) out.env[k] = v;
  out.env[kStartTokenEnv] = start_token;
  out.log_path = log_path;
  return out;
}

}  // namespace hydra::deploy
