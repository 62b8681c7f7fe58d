#include "cli/engine_commands.h"

#include <iostream>

#include "common/error.h"
#include "engine/format/ggml_types.h"
#include "engine/model/test_model.h"
#include "engine/server/serve.h"

namespace hydra::cli {

namespace {

struct EngineArgs {
  CLI::App* engine = nullptr;
  CLI::App* serve = nullptr;
  CLI::App* make_model = nullptr;
  engine::EngineServeOptions serve_opts;
  bool no_access_log = false;
  int port = 0;
  engine::TestModelOptions model_opts;
  std::string out;
  std::string format = "gguf";
  std::string type = "f32";
};

EngineArgs& args() {
  static EngineArgs a;
  return a;
}

void add_serve(CLI::App& engine, EngineArgs& a) {
  a.serve = engine.add_subcommand("serve", "serve a model with the OpenAI API");
  auto& o = a.serve_opts;
  a.serve->add_option("--model", o.model_path, "a .gguf file or a Hugging Face model directory")
      ->required();
  a.serve->add_option("--listen", o.listen, "HOST:PORT to listen on")->capture_default_str();
  a.serve->add_option("--port", a.port, "port on 127.0.0.1 (shorthand for --listen)");
  a.serve->add_option("--served-model-name", o.served_model_name,
                      "the model id clients use (default: the file name)");
  a.serve->add_option("--threads", o.threads,
                      "compute threads of the forward pass (0: the physical cores)");
  a.serve->add_option("--max-batch-tokens", o.max_batch_tokens,
                      "rows of one forward pass: prompt chunks plus running sequences' tokens")
      ->capture_default_str();
  a.serve->add_option("--kv-cache-memory", o.kv_cache_mb,
                      "KV-cache limit in MiB (0: room for --max-running full contexts)");
  a.serve->add_option("--kv-cache-dtype", o.kv_cache_dtype, "f32, f16 or q8_0")
      ->capture_default_str();
  a.serve->add_flag("--enable-prefix-caching,!--no-enable-prefix-caching", o.prefix_caching,
                    "reuse the KV cache of prompt prefixes other requests computed (default on)");
  a.serve->add_option("--max-running,--parallel", o.max_running, "sequences decoded together")
      ->capture_default_str();
  a.serve->add_option("--max-waiting", o.max_waiting, "requests queued beyond those; more get 503")
      ->capture_default_str();
  a.serve->add_option("--ctx", o.ctx, "context length per sequence (0: the model's)");
  a.serve->add_flag("--no-access-log", a.no_access_log, "do not log each request");
}

void add_make_test_model(CLI::App& engine, EngineArgs& a) {
  a.make_model = engine.add_subcommand(
      "make-test-model", "write a random-weight model with a real vocabulary (for tests)");
  auto& o = a.model_opts;
  a.make_model->add_option("--out,-o", a.out, "output .gguf file, or directory with --format hf")
      ->required();
  a.make_model->add_option("--arch", o.arch, "llama | qwen2 | qwen3 | bert")->capture_default_str();
  a.make_model->add_option("--vocab", o.vocab_path, "a GGUF file with tokenizer metadata")
      ->required();
  a.make_model->add_option("--format", a.format, "gguf | hf")->capture_default_str();
  a.make_model->add_option("--type", a.type, "f32 | f16 | bf16 | q8_0 | q4_0 | q4_K | ...")
      ->capture_default_str();
  a.make_model->add_option("--layers", o.layers)->capture_default_str();
  a.make_model->add_option("--hidden", o.hidden)->capture_default_str();
  a.make_model->add_option("--intermediate", o.intermediate, "0: 2 x hidden");
  a.make_model->add_option("--heads", o.heads)->capture_default_str();
  a.make_model->add_option("--kv-heads", o.kv_heads, "0: heads / 2 (heads for bert)");
  a.make_model->add_option("--head-dim", o.head_dim, "0: hidden / heads");
  a.make_model->add_option("--ctx", o.context_length)->capture_default_str();
  a.make_model->add_option("--chat-template", o.chat_template_path,
                           "a .jinja file (default: the vocabulary's own)");
  a.make_model->add_option("--seed", o.seed)->capture_default_str();
}

int run_make_test_model(EngineArgs& a) {
  auto type = engine::type_from_name(a.type);
  if (!type) throw_param("unknown --type '" + a.type + "'", "type");
  a.model_opts.type = *type;
  engine::TestModelFormat format;
  if (a.format == "gguf") {
    format = engine::TestModelFormat::kGguf;
  } else if (a.format == "hf" || a.format == "safetensors") {
    format = engine::TestModelFormat::kSafetensors;
  } else {
    throw_param("--format must be gguf or hf", "format");
  }
  engine::make_test_model(a.out, a.model_opts, format);
  std::cout << "wrote " << a.out << "\n";
  return 0;
}

}  // namespace

void add_engine_commands(CLI::App& app) {
  EngineArgs& a = args();
  a.engine = app.add_subcommand("engine", "the built-in inference engine");
  a.engine->require_subcommand(1);
  add_serve(*a.engine, a);
  add_make_test_model(*a.engine, a);
}

int run_engine_command(CLI::App& app) {
  (void)app;
  EngineArgs& a = args();
  if (!a.engine || !a.engine->parsed()) return -1;
  try {
    if (a.serve->parsed()) {
      a.serve_opts.access_log = !a.no_access_log;
      if (a.port > 0) a.serve_opts.listen = "127.0.0.1:" + std::to_string(a.port);
      return engine::serve_engine(a.serve_opts);
    }
    if (a.make_model->parsed()) return run_make_test_model(a);
  } catch (const std::exception& e) {
    std::cerr << "hydra engine: " << e.what() << "\n";
    return 1;
  }
  return 2;
}

}  // namespace hydra::cli
