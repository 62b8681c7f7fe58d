#pragma once
// `hydra engine serve`: loads a model and serves the OpenAI API until
// SIGINT or SIGTERM.
#include <cstdint>
#include <string>

namespace hydra::engine {

struct EngineServeOptions {
  std::string model_path;  // a .gguf file or a Hugging Face directory
  std::string listen = "127.0.0.1:8000";
  std::string served_model_name;       // default: the file or directory name
  int threads = 0;                     // compute threads of the forward pass (0: physical cores)
  int max_batch_tokens = 512;          // rows of one forward pass (prompt chunks + next tokens)
  int64_t kv_cache_mb = 0;             // KV-cache memory limit (0: max_running full contexts)
  std::string kv_cache_dtype = "f16";  // f32, f16 or q8_0
  bool prefix_caching = true;
  int max_running = 8;   // sequences decoded together
  int max_waiting = 64;  // requests queued beyond that
  int64_t ctx = 0;       // positions per sequence (0: the model's)
  bool access_log = true;
};

// The name a model is served under when none is given.
std::string default_served_name(const std::string& model_path);

// Blocks until a signal; returns the process exit code. Load failures throw.
int serve_engine(const EngineServeOptions& options);

}  // namespace hydra::engine
