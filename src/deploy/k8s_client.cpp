#include "deploy/k8s_client.h"

#include <sys/socket.h>
#include <yaml-cpp/yaml.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "common/random.h"
#include "http/url.h"

namespace hydra::deploy {
namespace {

namespace bj = boost::json;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bh = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kMaxWatchLine = 16 << 20;

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string base64_decode(const std::string& in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  int bits = 0;
  uint32_t acc = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0) continue;  // padding and line breaks
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

std::string error_message(int status, const std::string& body) {
  try {
    bj::value v = bj::parse(body);
    if (auto* m = v.as_object().if_contains("message"); m && m->is_string())
      return "HTTP " + std::to_string(status) + ": " + std::string(m->as_string());
  } catch (const std::exception&) {
  }
  return "HTTP " + std::to_string(status) + ": " + body.substr(0, 300);
}

http::ClientOptions client_options(const KubeConnection& c) {
  http::ClientOptions o;
  o.connect_timeout_ms = 5000;
  o.request_timeout_ms = 30000;
  o.max_idle_per_host = 4;
  o.ca_file = c.ca_file;
  o.verify_tls = !c.insecure;
  return o;
}

// Feeds body bytes and hands out complete lines.
class LineSplitter {
 public:
  template <typename Fn>
  bool feed(const char* data, size_t n, Fn&& on_line) {
    buf_.append(data, n);
    size_t start = 0, nl = 0;
    while ((nl = buf_.find('\n', start)) != std::string::npos) {
      std::string line = buf_.substr(start, nl - start);
      start = nl + 1;
      if (!line.empty() && !on_line(line)) return false;
    }
    buf_.erase(0, start);
    if (buf_.size() > kMaxWatchLine) throw std::runtime_error("watch event larger than 16 MiB");
    return true;
  }

 private:
  std::string buf_;
};

}  // namespace

struct KubeClient::Watches {
  std::mutex mu;
  std::set<int> fds;
  bool cancelled = false;
};

KubeConnection in_cluster_connection() {
  const char* host = getenv("KUBERNETES_SERVICE_HOST");
  const char* port = getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !port) {
    throw std::runtime_error(
        "not inside a Kubernetes pod (KUBERNETES_SERVICE_HOST unset): pass --kubeconfig");
  }
  const std::string dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  KubeConnection c;
  std::string h = host;
  c.server = "https://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + port;
  c.token = read_text(dir + "/token");
  while (!c.token.empty() && (c.token.back() == '\n' || c.token.back() == '\r')) c.token.pop_back();
  c.ca_file = dir + "/ca.crt";
  return c;
}

KubeConnection kubeconfig_connection(const std::string& path, const std::string& ca_dir) {
  YAML::Node cfg;
  try {
    cfg = YAML::LoadFile(path);
  } catch (const std::exception& e) {
    throw std::runtime_error("kubeconfig " + path + ": " + e.what());
  }
  auto named = [&](const char* list, const std::string& name) {
    for (const auto& item : cfg[list]) {
      if (item["name"] && item["name"].as<std::string>() == name) return item;
    }
    throw std::runtime_error("kubeconfig " + path + ": no " + list + " entry named '" + name + "'");
  };
  std::string current = cfg["current-context"] ? cfg["current-context"].as<std::string>() : "";
  if (current.empty()) throw std::runtime_error("kubeconfig " + path + " has no current-context");
  YAML::Node ctx = named("contexts", current)["context"];
  YAML::Node cluster = named("clusters", ctx["cluster"].as<std::string>())["cluster"];
  YAML::Node user = named("users", ctx["user"].as<std::string>())["user"];
  KubeConnection c;
  c.server = cluster["server"].as<std::string>();
  std::filesystem::path base = std::filesystem::path(path).parent_path();
  auto relative = [&](const std::string& p) {
    return std::filesystem::path(p).is_absolute() ? p : (base / p).string();
  };
  if (cluster["certificate-authority"]) {
    c.ca_file = relative(cluster["certificate-authority"].as<std::string>());
  } else if (cluster["certificate-authority-data"]) {
    std::string dir = ca_dir.empty() ? std::filesystem::temp_directory_path().string() : ca_dir;
    c.ca_file = dir + "/kube-ca-" + sha256_hex(c.server).substr(0, 12) + ".pem";
    std::ofstream(c.ca_file, std::ios::binary)
        << base64_decode(cluster["certificate-authority-data"].as<std::string>());
  }
  c.insecure =
      cluster["insecure-skip-tls-verify"] && cluster["insecure-skip-tls-verify"].as<bool>();
  if (user["token"]) {
    c.token = user["token"].as<std::string>();
  } else if (user["tokenFile"]) {
    c.token = read_text(relative(user["tokenFile"].as<std::string>()));
    while (!c.token.empty() && c.token.back() == '\n') c.token.pop_back();
  } else {
    throw std::runtime_error("kubeconfig " + path +
                             ": the user needs a token or tokenFile (client certificates and exec "
                             "plugins are not supported)");
  }
  return c;
}

KubeClient::KubeClient(KubeConnection conn, std::string field_manager)
    : conn_(std::move(conn)),
      field_manager_(std::move(field_manager)),
      client_(client_options(conn_)),
      watches_(std::make_unique<Watches>()) {
  while (!conn_.server.empty() && conn_.server.back() == '/') conn_.server.pop_back();
}

KubeClient::~KubeClient() = default;

http::ClientResponse KubeClient::send(const std::string& method, const std::string& path,
                                      const std::string& body, const std::string& content_type) {
  http::ClientRequest req;
  req.method = method;
  req.url = conn_.server + path;
  req.headers.emplace_back("Accept", "application/json");
  if (!conn_.token.empty()) req.headers.emplace_back("Authorization", "Bearer " + conn_.token);
  if (!content_type.empty()) req.headers.emplace_back("Content-Type", content_type);
  req.body = body;
  return client_.send(req);
}

bj::value KubeClient::apply(const KubeObject& o) {
  // JSON is YAML, so the apply patch is the object serialized as JSON.
  std::string path =
      o.path() + "?fieldManager=" + http::percent_encode(field_manager_) + "&force=true";
  auto r = send("PATCH", path, bj::serialize(o.body), "application/apply-patch+yaml");
  if (r.status < 200 || r.status >= 300) {
    throw KubeError(r.status,
                    "apply " + o.kind + " " + o.name + ": " + error_message(r.status, r.body));
  }
  return bj::parse(r.body);
}

bj::value KubeClient::get(const std::string& path) {
  auto r = send("GET", path, "", "");
  if (r.status == 404) return nullptr;
  if (r.status != 200)
    throw KubeError(r.status, "get " + path + ": " + error_message(r.status, r.body));
  return bj::parse(r.body);
}

bool KubeClient::remove(const std::string& path) {
  auto r = send("DELETE", path,
                R"({"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Foreground"})",
                "application/json");
  if (r.status == 404) return false;
  if (r.status < 200 || r.status >= 300) {
    throw KubeError(r.status, "delete " + path + ": " + error_message(r.status, r.body));
  }
  return true;
}

bj::value KubeClient::list(const std::string& collection, const std::string& label_selector) {
  std::string path = collection;
  if (!label_selector.empty()) path += "?labelSelector=" + http::percent_encode(label_selector);
  auto r = send("GET", path, "", "");
  if (r.status != 200) {
    throw KubeError(r.status, "list " + collection + ": " + error_message(r.status, r.body));
  }
  return bj::parse(r.body);
}

void KubeClient::cancel() {
  std::lock_guard<std::mutex> lock(watches_->mu);
  watches_->cancelled = true;
  for (int fd : watches_->fds) ::shutdown(fd, SHUT_RDWR);
}

namespace {

// Reads a streamed answer and hands each line to `on_line`.
template <typename Stream>
void read_stream(Stream& stream, const std::function<bool(const std::string&)>& on_line) {
  beast::flat_buffer buf;
  bh::response_parser<bh::buffer_body> parser;
  parser.body_limit(boost::none);
  bh::read_header(stream, buf, parser);
  int status = static_cast<int>(parser.get().result_int());
  LineSplitter lines;
  std::string error_body;
  char chunk[16384];
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    beast::error_code ec;
    bh::read_some(stream, buf, parser, ec);  // returns with what has arrived: events as sent
    if (ec && ec != bh::error::need_buffer) {
      if (ec == bh::error::end_of_stream || ec == asio::error::eof) break;
      throw beast::system_error(ec);
    }
    size_t n = sizeof chunk - parser.get().body().size;
    if (status != 200) {
      if (error_body.size() < 4096) error_body.append(chunk, n);
      continue;
    }
    if (!lines.feed(chunk, n, on_line)) return;
  }
  if (status != 200) throw KubeError(status, "watch: " + error_message(status, error_body));
}

}  // namespace

void KubeClient::watch(const std::string& collection, const std::string& label_selector,
                       const std::string& resource_version, int timeout_s,
                       const std::function<bool(const WatchEvent&)>& on_event) {
  http::Url url = http::parse_url(conn_.server + collection);
  std::string target = url.target + "?watch=true&allowWatchBookmarks=true&timeoutSeconds=" +
                       std::to_string(timeout_s);
  if (!label_selector.empty()) target += "&labelSelector=" + http::percent_encode(label_selector);
  if (!resource_version.empty())
    target += "&resourceVersion=" + http::percent_encode(resource_version);

  bh::request<bh::empty_body> req{bh::verb::get, target, 11};
  req.set(bh::field::host, url.host);
  req.set(bh::field::accept, "application/json");
  if (!conn_.token.empty()) req.set(bh::field::authorization, "Bearer " + conn_.token);

  auto on_line = [&](const std::string& line) {
    bj::value v = bj::parse(line);
    WatchEvent e;
    e.type = std::string(v.at("type").as_string());
    e.object = v.at("object");
    return on_event(e);
  };

  asio::io_context io;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(url.host, std::to_string(url.port));
  tcp::socket socket(io);
  asio::connect(socket, endpoints);
  int fd = socket.native_handle();
  {
    std::lock_guard<std::mutex> lock(watches_->mu);
    if (watches_->cancelled) return;
    watches_->fds.insert(fd);
  }
  struct Forget {
    Watches& w;
    int fd;
    ~Forget() {
      std::lock_guard<std::mutex> lock(w.mu);
      w.fds.erase(fd);
    }
  } forget{*watches_, fd};

  if (url.scheme == "https") {
    asio::ssl::context tls(asio::ssl::context::tls_client);
    if (conn_.insecure) {
      tls.set_verify_mode(asio::ssl::verify_none);
    } else {
      tls.set_default_verify_paths();
      if (!conn_.ca_file.empty()) tls.load_verify_file(conn_.ca_file);
      tls.set_verify_mode(asio::ssl::verify_peer);
    }
    asio::ssl::stream<tcp::socket&> stream(socket, tls);
    SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str());
    if (!conn_.insecure) stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
    stream.handshake(asio::ssl::stream_base::client);
    bh::write(stream, req);
    read_stream(stream, on_line);
    return;
  }
  bh::write(socket, req);
  read_stream(socket, on_line);
}

}  // namespace hydra::deploy
