#pragma once
// Talking to a Kubernetes API server over its REST interface: server-side
// apply (PATCH with application/apply-patch+yaml, a field manager and
// force), reads, deletes, and watches (?watch=true, one JSON event a line,
// streamed as the server sends them). Credentials come from the pod's
// service account or from a kubeconfig file (bearer token + CA).
#include <atomic>
#include <boost/json/value.hpp>
#include <functional>
#include <memory>
#include <string>

#include "deploy/k8s_render.h"
#include "http/client.h"

namespace hydra::deploy {

struct KubeConnection {
  std::string server;   // https://host:port
  std::string token;    // bearer token ("" for none)
  std::string ca_file;  // PEM trust anchors for the API server
  bool insecure = false;
};

// KUBERNETES_SERVICE_HOST/PORT and /var/run/secrets/kubernetes.io/serviceaccount.
KubeConnection in_cluster_connection();
// The current context of a kubeconfig file: its cluster's server and CA
// (certificate-authority file or -data), its user's token or tokenFile.
// Inline CA data is written to `ca_dir`. Throws std::runtime_error.
KubeConnection kubeconfig_connection(const std::string& path, const std::string& ca_dir = "");

// A watch event: type ADDED | MODIFIED | DELETED | BOOKMARK | ERROR.
struct WatchEvent {
  std::string type;
  boost::json::value object;
};

class KubeClient {
 public:
  explicit KubeClient(KubeConnection conn, std::string field_manager = "hydra");
  ~KubeClient();

  // Server-side apply of `o`; the object as stored. Throws KubeError.
  boost::json::value apply(const KubeObject& o);
  // GET `path`; null when 404.
  boost::json::value get(const std::string& path);
  // DELETE `path` (foreground propagation); true when it existed.
  bool remove(const std::string& path);

  // Lists `collection` (e.g. /api/v1/pods) with `label_selector`; the list
  // carries metadata.resourceVersion for the watch that follows.
  boost::json::value list(const std::string& collection, const std::string& label_selector);
  // Streams the watch from `resource_version` until the server ends it
  // (after `timeout_s`), `on_event` returns false, or cancel() is called.
  void watch(const std::string& collection, const std::string& label_selector,
             const std::string& resource_version, int timeout_s,
             const std::function<bool(const WatchEvent&)>& on_event);
  // Ends running watches at once (from another thread).
  void cancel();

  const KubeConnection& connection() const { return conn_; }

 private:
  http::ClientResponse send(const std::string& method, const std::string& path,
                            const std::string& body, const std::string& content_type);
  KubeConnection conn_;
  std::string field_manager_;
  http::Client client_;
  struct Watches;
  std::unique_ptr<Watches> watches_;
};

class KubeError : public std::runtime_error {
 public:
  KubeError(int status, const std::string& msg) : std::runtime_error(msg), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

}  // namespace hydra::deploy
