#include "cli/agent_command.h"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "common/log.h"
#include "deploy/agent_runner.h"
#include "deploy/change_signal.h"
#include "deploy/k8s_agent.h"
#include "deploy/local_agent.h"
#include "store/store.h"

namespace hydra::cli {
namespace {

struct AgentArgs {
  CLI::App* cmd = nullptr;
  deploy::RemoteAgentOptions opts;
  std::string data_dir = "./.hydra-agent";
  std::string kubeconfig;
  std::string image_rules;
  std::string log_level = "info";
};

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

AgentArgs& args() {
  static AgentArgs a;
  return a;
}

// The backend's controller, either kind, behind one start/stop.
struct Backend {
  std::unique_ptr<deploy::LocalAgent> local;
  std::unique_ptr<deploy::KubeAgent> kube;
  void stop() {
    if (local) local->stop();
    if (kube) kube->stop();
  }
};

Backend start_backend(AgentArgs& a, store::Store& st, deploy::RemoteAgent& agent) {
  Backend b;
  if (a.opts.backend == "kubernetes") {
    deploy::KubeAgentOptions ko;
    ko.cluster = a.opts.name;
    ko.connection = a.kubeconfig.empty() ? deploy::in_cluster_connection()
                                         : deploy::kubeconfig_connection(a.kubeconfig, a.data_dir);
    ko.placement = [&agent](const std::string& id) { return agent.placement(id); };
    if (!a.image_rules.empty())
      ko.image_rules = deploy::parse_agent_image_rules(read_file(a.image_rules));
    b.kube = std::make_unique<deploy::KubeAgent>(st, ko);
    b.kube->on_routes_changed([&agent] { agent.wake(); });
    b.kube->start();
    return b;
  }
  deploy::LocalAgentOptions lo;
  lo.data_dir = a.data_dir;
  lo.cluster = a.opts.name;
  // Replicas the gateway reaches from another machine listen on every interface.
  if (a.opts.advertise_host != "127.0.0.1" && a.opts.advertise_host != "localhost") {
    lo.model_host = "0.0.0.0";
  }
  b.local = std::make_unique<deploy::LocalAgent>(st, lo);
  b.local->on_routes_changed([&agent] { agent.wake(); });
  b.local->start();
  return b;
}

int wait_for_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

int run_agent(AgentArgs& a) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  log_init(a.log_level);
  if (a.opts.token.empty() && getenv("HYDRA_AGENT_TOKEN"))
    a.opts.token = getenv("HYDRA_AGENT_TOKEN");
  if (a.opts.token.empty())
    throw std::invalid_argument("--token (or HYDRA_AGENT_TOKEN) is required");
  if (a.opts.heartbeat_ms < 100) throw std::invalid_argument("--heartbeat-ms must be at least 100");

  std::filesystem::create_directories(a.data_dir);
  // The agent's own store: the mirrored deployments and its replicas, so
  // that a restarted agent adopts the replicas it left running.
  auto st = store::open_store("sqlite:" + a.data_dir + "/agent.db");
  st->migrate();
  deploy::RemoteAgent agent(*st, a.opts);
  agent.sync_once();  // a refused join ends here, before anything starts
  Backend backend = start_backend(a, *st, agent);
  std::atomic<bool> stopping{false};
  std::exception_ptr failure;
  std::thread loop([&] {
    try {
      agent.run(stopping);
    } catch (...) {
      failure = std::current_exception();
      kill(getpid(), SIGTERM);
    }
  });
  std::cout << "hydra agent: cluster " << a.opts.name << " joined " << a.opts.server << " ("
            << a.opts.backend << " backend)\n"
            << std::flush;
  int sig = wait_for_signal();
  spdlog::info("signal {} received; agent stopping (replicas keep running)", sig);
  stopping = true;
  agent.wake();
  loop.join();
  backend.stop();
  if (failure) std::rethrow_exception(failure);
  return 0;
}

}  // namespace

void add_agent_command(CLI::App& app) {
  AgentArgs& a = args();
  a.cmd = app.add_subcommand("agent", "join a cluster and run its deployments");
  a.cmd->add_option("--server", a.opts.server, "control plane URL, e.g. http://hydra:8080")
      ->required();
  a.cmd->add_option("--token", a.opts.token, "the cluster's join token (also HYDRA_AGENT_TOKEN)");
  a.cmd->add_option("--name", a.opts.name, "the cluster this agent runs")->required();
  a.cmd->add_option("--backend", a.opts.backend, "local | kubernetes")
      ->check(CLI::IsMember({"local", "kubernetes"}))
      ->capture_default_str();
  a.cmd->add_option("--data-dir", a.data_dir, "replica logs and the agent's state")
      ->capture_default_str();
  a.cmd
      ->add_option("--advertise-host", a.opts.advertise_host,
                   "address the gateway uses to reach this machine's replicas")
      ->capture_default_str();
  a.cmd->add_option("--heartbeat-ms", a.opts.heartbeat_ms, "heartbeat interval")
      ->capture_default_str();
  a.cmd->add_option("--kubeconfig", a.kubeconfig,
                    "kubeconfig file (kubernetes backend; default: in-cluster service account)");
  a.cmd->add_option("--image-rules", a.image_rules,
                    "YAML with deployment_templates: (match_runtimes, match_gpu_types, image)");
  a.cmd->add_option("--ca-file", a.opts.ca_file, "extra CA certificates for an https server");
  a.cmd->add_option("--log-level", a.log_level, "debug | info | warn | error")
      ->capture_default_str();
}

int run_agent_command(CLI::App& app) {
  (void)app;
  AgentArgs& a = args();
  if (!a.cmd || !a.cmd->parsed()) return -1;
  a.opts.version = "hydra";
  try {
    return run_agent(a);
  } catch (const std::exception& e) {
    std::cerr << "hydra agent: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace hydra::cli
