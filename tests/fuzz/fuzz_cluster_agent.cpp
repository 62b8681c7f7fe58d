// libFuzzer target: bytes that reach a cluster from outside. The first byte
// picks the parser: an agent's heartbeat body (what the control plane
// decodes), a Kubernetes watch event line reduced to a replica state, a
// desired-deployments answer mirrored into an agent's store, or
// nvidia-smi output. Anything but a result, an ApiError or a JSON parse
// error (a crash, a sanitizer report, a hang) is a bug.
#include <unistd.h>

#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/error.h"
#include "deploy/agent_protocol.h"
#include "deploy/host_capacity.h"
#include "deploy/k8s_agent.h"
#include "store/store.h"

namespace {

namespace bj = boost::json;

hydra::store::Store& agent_store() {
  static std::unique_ptr<hydra::store::Store> st = [] {
    auto s = hydra::store::open_store("sqlite:/tmp/hydra-fuzz-agent-" + std::to_string(getpid()) +
                                      ".db");
    s->migrate();
    return s;
  }();
  return *st;
}

void heartbeat(const std::string& text) {
  bj::value v = bj::parse(text);
  hydra::deploy::AgentReport r = hydra::deploy::agent_report_from_json(v);
  // What was accepted must survive the trip back to JSON and be read the same.
  hydra::deploy::AgentReport again =
      hydra::deploy::agent_report_from_json(bj::value(hydra::deploy::to_json(r)));
  if (again.deployments.size() != r.deployments.size()) abort();
}

void watch_line(const std::string& text) {
  bj::value v = bj::parse(text);
  if (!v.is_object()) return;
  const bj::value* object = v.as_object().if_contains("object");
  hydra::deploy::PodView p = hydra::deploy::pod_view(object ? *object : v);
  if (p.ready && p.state != "Running") abort();
}

void desired(const std::string& text) {
  bj::value v = bj::parse(text);
  hydra::deploy::mirror_desired_deployments(agent_store(), v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > (1 << 16)) return 0;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 4) {
      case 0:
        heartbeat(text);
        break;
      case 1:
        watch_line(text);
        break;
      case 2:
        desired(text);
        break;
      default:
        hydra::deploy::parse_nvidia_smi(text);
        break;
    }
  } catch (const hydra::ApiError&) {
  } catch (const boost::system::system_error&) {
  } catch (const std::invalid_argument&) {  // JSON of the wrong shape (as_object on an array, ...)
  } catch (const std::out_of_range&) {      // a missing member (at())
  }
  return 0;
}
