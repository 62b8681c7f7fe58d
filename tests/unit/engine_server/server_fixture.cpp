#include "server_fixture.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "engine/model/test_model.h"

namespace hydra::engine::test {

namespace bj = boost::json;
namespace net = boost::asio;
using net::ip::tcp;

namespace {

// A directory for this process's model files, removed at exit (the loaded
// models keep their mappings).
std::string scratch() {
  struct Dir {
    std::string path;
    ~Dir() { std::filesystem::remove_all(path); }
  };
  static const Dir dir{
      (std::filesystem::temp_directory_path() / ("hydra-eserve-" + std::to_string(::getpid())))
          .string()};
  std::filesystem::create_directories(dir.path);
  return dir.path;
}

std::unique_ptr<RunningServer> start(const std::string& model_path, const std::string& name,
                                     int max_running = 4, int max_waiting = 16) {
  auto rs = std::make_unique<RunningServer>();
  rs->metrics = std::make_shared<http::Metrics>();
  EngineServiceOptions eo;
  eo.served_model_name = name;
  eo.runtime.max_running = max_running;
  eo.runtime.max_waiting = max_waiting;
  rs->service =
      std::make_unique<EngineService>(load_for_serving(model_path, 1024), eo, rs->metrics);
  http::Router router;
  rs->service->add_routes(router);
  http::ServerOptions so;
  so.port = 0;
  so.access_log = false;
  so.io_threads = 2;
  so.worker_threads = 4;
  rs->server = std::make_unique<http::Server>(so, std::move(router), rs->metrics);
  rs->server->start();
  rs->base = "http://127.0.0.1:" + std::to_string(rs->server->port());
  return rs;
}

}  // namespace

RunningServer::~RunningServer() {
  if (server) server->shutdown(2000);
  service.reset();
}

std::string tiny_decoder_path() {
  static const std::string path = [] {
    TestModelOptions o;
    o.arch = "qwen2";
    o.vocab_path = std::string(HYDRA_TESTDATA_DIR) + "/vocab/ggml-vocab-gpt-2.gguf";
    o.chat_template_path =
        std::string(HYDRA_TESTDATA_DIR) + "/chat-templates/Qwen-Qwen2.5-7B-Instruct.jinja";
    o.hidden = 32;
    o.heads = 2;
    o.layers = 1;
    o.seed = 11;
    const std::string p = scratch() + "/tiny-qwen2.gguf";
    make_test_model(p, o, TestModelFormat::kGguf);
    return p;
  }();
  return path;
}

RunningServer& decoder_server() {
  static std::unique_ptr<RunningServer> s = start(tiny_decoder_path(), "tiny-qwen2");
  return *s;
}

RunningServer& one_slot_server() {
  static std::unique_ptr<RunningServer> s = start(tiny_decoder_path(), "tiny-qwen2", 1, 1);
  return *s;
}

RunningServer& bert_server() {
  static std::unique_ptr<RunningServer> s = [] {
    TestModelOptions o;
    o.arch = "bert";
    o.vocab_path = std::string(HYDRA_TESTDATA_DIR) + "/vocab/ggml-vocab-bert-bge.gguf";
    o.hidden = 32;
    o.heads = 2;
    o.layers = 1;
    o.context_length = 64;
    o.seed = 5;
    const std::string path = scratch() + "/tiny-bert.gguf";
    make_test_model(path, o, TestModelFormat::kGguf);
    auto rs = start(path, "tiny-bert");
    std::filesystem::remove(path);
    return rs;
  }();
  return *s;
}

bj::object post(RunningServer& s, const std::string& path, const bj::value& body, int* status) {
  http::Client client;
  http::ClientResponse r = client.post_json(s.base + path, bj::serialize(body));
  if (status) *status = r.status;
  bj::value v = bj::parse(r.body);
  return v.as_object();
}

bj::object post_ok(RunningServer& s, const std::string& path, const bj::value& body) {
  int status = 0;
  bj::object o = post(s, path, body, &status);
  EXPECT_EQ(status, 200) << bj::serialize(o);
  return o;
}

Stream post_stream(RunningServer& s, const std::string& path, const bj::value& body) {
  net::io_context io;
  tcp::socket sock(io);
  sock.connect({net::ip::make_address("127.0.0.1"), s.server->port()});
  const std::string text = bj::serialize(body);
  const std::string req =
      "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
      "Connection: close\r\nContent-Length: " + std::to_string(text.size()) + "\r\n\r\n" + text;
  net::write(sock, net::buffer(req));
  Stream out;
  std::string buf;
  size_t scanned = 0;
  char tmp[8192];
  for (;;) {
    boost::system::error_code ec;
    const size_t n = sock.read_some(net::buffer(tmp), ec);
    if (n > 0) buf.append(tmp, n);
    // Pick out complete lines that start a server-sent event.
    int found = 0;
    for (size_t nl; (nl = buf.find("\r\n", scanned)) != std::string::npos; scanned = nl + 2) {
      const std::string line = buf.substr(scanned, nl - scanned);
      if (line.rfind("HTTP/1.1 ", 0) == 0) out.status = std::stoi(line.substr(9, 3));
      // Several events may share one chunk: split on the blank line.
      size_t at = 0;
      while ((at = line.find("data: ", at)) != std::string::npos) {
        size_t end = line.find('\n', at);
        out.events.push_back(
            line.substr(at + 6, end == std::string::npos ? std::string::npos : end - at - 6));
        ++found;
        at = end == std::string::npos ? line.size() : end;
      }
    }
    if (found > 0) ++out.reads_with_events;
    if (ec) break;
  }
  return out;
}

double metric_value(const std::string& text, const std::string& name) {
  size_t at = 0;
  while ((at = text.find(name, at)) != std::string::npos) {
    const bool line_start = at == 0 || text[at - 1] == '\n';
    const char next = text[at + name.size()];
    if (line_start && (next == '{' || next == ' ')) {
      const size_t eol = text.find('\n', at);
      const std::string line = text.substr(at, eol - at);
      return std::stod(line.substr(line.rfind(' ') + 1));
    }
    at += name.size();
  }
  return -1;
}

}  // namespace hydra::engine::test
