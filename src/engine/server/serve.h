#pragma once
// `hydra engine serve`: loads a model and serves the OpenAI API until
// SIGINT or SIGTERM.
#include <cstdint>
#include <string>

namespace hydra::engine {

struct EngineServeOptions {
  std::string model_path;  // a .gguf file or a Hugging Face directory
  std::string listen = "127.0.0.1:8000";
  std::string served_model_name;  // default: the file or directory name
  int threads = 0;                // HTTP worker threads (0: the server's default)
  int max_running = 8;            // sequences decoded together
  int max_waiting = 64;           // requests queued beyond that
  int64_t ctx = 0;                // positions per sequence (0: the model's)
  bool access_log = true;
};

// The name a model is served under when none is given.
std::string default_served_name(const std::string& model_path);

// Blocks until a signal; returns the process exit code. Load failures throw.
int serve_engine(const EngineServeOptions& options);

}  // namespace hydra::engine
