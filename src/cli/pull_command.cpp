#include "cli/pull_command.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/api_client.h"
#include "cli/credentials.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/strings.h"
#include "files/set_download.h"
#include "http/url.h"

namespace hydra::cli {
namespace {

namespace bj = boost::json;

struct PullOptions {
  std::string source, uri, dest, revision, token, endpoint, region, sha256, files, name, server;
  bool remote = false;
  bool share = false;
  CLI::App* cmd = nullptr;
};

PullOptions& opts() {
  static PullOptions o;
  return o;
}

// "hf" and "huggingface" are HUGGING_FACE, and so on; canonical names pass.
std::string canonical_source(const std::string& s) {
  std::string l = to_lower(s);
  if (l == "hf" || l == "huggingface" || l == "hugging_face") return files::source::kHuggingFace;
  if (l == "ms" || l == "modelscope" || l == "model_scope") return files::source::kModelScope;
  if (l == "http" || l == "https" || l == "url") return files::source::kHttp;
  if (l == "s3") return files::source::kS3;
  if (l == "git") return files::source::kGit;
  if (l == "local") return files::source::kLocal;
  if (l == "reference") return files::source::kReference;
  throw std::runtime_error("unknown source '" + s +
                           "' (hf, modelscope, http, s3, git, local or reference)");
}

std::string human_bytes(double n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (n >= 1024 && u < 4) {
    n /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", n, units[u]);
  return buf;
}

std::string human_eta(int64_t s) {
  if (s < 0) return "--";
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60));
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  }
  return buf;
}

// One progress line: on a terminal it rewrites itself; elsewhere a line a second.
class ProgressLine {
 public:
  ProgressLine() : tty_(::isatty(2) != 0) {}
  void show(const std::string& phase, int64_t done, int64_t total, double rate, int64_t eta,
            int64_t files_done, int64_t files_total, bool force = false) {
    int64_t now = now_ms();
    if (!tty_ && !force && now - last_ms_ < 1000) return;
    last_ms_ = now;
    std::string line = phase + "  " + human_bytes(static_cast<double>(done));
    if (total >= 0) {
      line += " / " + human_bytes(static_cast<double>(total)) + " (" +
              std::to_string(total > 0 ? done * 100 / total : 100) + "%)";
    }
    line += "  " + human_bytes(rate) + "/s  ETA " + human_eta(eta);
    if (files_total >= 0)
      line += "  files " + std::to_string(files_done) + "/" + std::to_string(files_total);
    std::cerr << (tty_ ? "\r\033[K" : "") << line << (tty_ ? "" : "\n") << std::flush;
  }
  void done() {
    if (tty_) std::cerr << "\n";
  }

 private:
  bool tty_;
  int64_t last_ms_ = 0;
};

files::FileSet requested_set(const PullOptions& o) {
  files::FileSet f;
  f.source = canonical_source(o.source);
  f.uri = o.uri;
  f.secret = o.token;
  if (!o.revision.empty()) f.options["revision"] = o.revision;
  if (!o.endpoint.empty()) f.options["endpoint"] = o.endpoint;
  if (!o.region.empty()) f.options["region"] = o.region;
  if (!o.sha256.empty()) f.options["sha256"] = o.sha256;
  if (!o.files.empty()) f.options["files"] = o.files;
  return f;
}

void print_result(const files::FileSet& f) {
  std::cout << "ready:    " << f.files_total << " files, "
            << human_bytes(static_cast<double>(f.bytes_total))
            << "\npath:     " << files::model_path_of(f) << "\nchecksum: " << f.checksum << "\n";
}

int pull_here(const PullOptions& o) {
  files::FileSet f = requested_set(o);
  files::check_file_set_request(f);
  std::string dest = o.dest;
  if (dest.empty()) {
    std::string tail = f.uri.substr(
        f.uri.find_last_of('/') == std::string::npos ? 0 : f.uri.find_last_of('/') + 1);
    dest = tail.empty() || tail == "." || tail == ".." ? "model" : tail;
  }
  dest = std::filesystem::absolute(dest).lexically_normal().string();
  ProgressLine line;
  files::RunOptions run;
  int64_t started = now_ms();
  try {
    files::run_file_set(f, dest, run, [&](const files::FileSet& now) {
      line.show(now.phase == files::phase::kProcessing ? "downloading" : now.phase, now.bytes_done,
                now.bytes_total, now.rate, files::eta_seconds(now), now.files_done,
                now.files_total);
    });
  } catch (const files::SourceError& e) {
    line.done();
    std::cerr << "hydra pull: " << e.what()
              << "\n(run it again to continue from the partial files)\n";
    return 1;
  }
  // The last line: the whole transfer at its average rate.
  double seconds = std::max<double>(1, static_cast<double>(now_ms() - started)) / 1000;
  line.show("done", f.bytes_done, f.bytes_total, static_cast<double>(f.bytes_done) / seconds, 0,
            f.files_done, f.files_total, true);
  line.done();
  print_result(f);
  return 0;
}

ApiClient connect(const PullOptions& o) {
  Credentials c = load_credentials();
  std::string server = !o.server.empty()        ? o.server
                       : getenv("HYDRA_SERVER") ? getenv("HYDRA_SERVER")
                                                : c.server;
  if (server.empty()) server = "http://127.0.0.1:8080";
  std::string token = getenv("HYDRA_TOKEN") ? getenv("HYDRA_TOKEN") : c.token;
  return ApiClient(server, token);
}

int64_t num(const bj::value& v, std::string_view key) {
  const bj::value* f = v.as_object().if_contains(key);
  return f && f->is_number() ? f->to_number<int64_t>() : -1;
}

int pull_remote(const PullOptions& o) {
  files::FileSet f = requested_set(o);
  bj::object body{{"source", f.source}, {"uri", f.uri}};
  if (!o.name.empty()) body["name"] = o.name;
  if (!o.token.empty()) body["secret"] = o.token;
  if (o.share) body["share"] = true;
  bj::object options;
  for (const auto& [k, v] : f.options) options[k] = v;
  if (!options.empty()) body["options"] = options;
  ApiClient api = connect(o);
  bj::value value = body;
  bj::value set = api.call("POST", "/api/v1/model-files", &value);
  std::string path =
      "/api/v1/model-files/" + http::percent_encode(std::string(set.at("id").as_string()));
  std::cerr << "model files '" << set.at("name").as_string() << "' (" << set.at("id").as_string()
            << ") created on " << api.server() << "\n";
  ProgressLine line;
  while (true) {
    set = api.call("GET", path);
    std::string ph(set.at("phase").as_string());
    const bj::value& p = set.at("progress");
    line.show(ph, num(p, "bytes_done"), num(p, "bytes_total"),
              p.at("rate_bytes_per_second").to_number<double>(), num(p, "eta_seconds"),
              num(p, "files_done"), num(p, "files_total"));
    if (ph == files::phase::kReady || ph == files::phase::kFailed) {
      line.done();
      if (ph == files::phase::kFailed) {
        std::cerr << "hydra pull: " << set.at("reason").as_string() << "\n";
        return 1;
      }
      std::cout << "ready:    " << set.at("local_path").as_string()
                << "\nchecksum: " << set.at("checksum").as_string() << "\n";
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

}  // namespace

void add_pull_command(CLI::App& app) {
  PullOptions& o = opts();
  auto* cmd = app.add_subcommand("pull",
                                 "download a model's files (resumable, checksummed): hydra pull hf "
                                 "Qwen/Qwen2.5-0.5B-Instruct");
  cmd->add_option("source", o.source, "hf, modelscope, http, s3, git (or HUGGING_FACE, ...)")
      ->required();
  cmd->add_option("uri", o.uri, "owner/name, a URL, s3://bucket/prefix or a git URL")->required();
  cmd->add_option("--dest", o.dest, "directory to download into (default: the uri's last segment)");
  cmd->add_option("--revision", o.revision, "branch, tag or commit (hubs, git)");
  cmd->add_option("--token", o.token, "hub token, or ACCESS_KEY:SECRET_KEY for S3");
  cmd->add_option("--endpoint", o.endpoint, "hub mirror or S3 endpoint (else HF_ENDPOINT, ...)");
  cmd->add_option("--region", o.region, "S3 region");
  cmd->add_option("--sha256", o.sha256, "expected sha256 of an HTTP download");
  cmd->add_option("--files", o.files, "comma-separated files to take from the listing");
  cmd->add_flag("--remote", o.remote, "let the server download it as a model file set");
  cmd->add_option("--name", o.name, "name of the model file set (with --remote)");
  cmd->add_flag("--share", o.share, "share the set with every workspace (with --remote; admin)");
  cmd->add_option("--server", o.server, "server URL (with --remote; default from hydra login)");
  o.cmd = cmd;
}

int run_pull_command(CLI::App& app) {
  (void)app;
  const PullOptions& o = opts();
  if (!o.cmd || !o.cmd->parsed()) return -1;
  try {
    return o.remote ? pull_remote(o) : pull_here(o);
  } catch (const std::exception& e) {
    std::cerr << "hydra pull: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace hydra::cli
