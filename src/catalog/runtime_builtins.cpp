// The runtimes Hydra knows out of the box. Operators may edit them; seeding
// only adds the ones that are missing, so edits survive restarts.
#include "catalog/runtime_template.h"

namespace hydra::catalog {
namespace {

// Arguments every OpenAI-compatible server takes in some spelling.
std::vector<std::string> with_custom(std::vector<std::string> args) {
  args.push_back("{{.CUSTOM_ARGS}}");
  return args;
}

RuntimeTemplate hydra_engine() {
  RuntimeTemplate t;
  t.name = "hydra-engine";
  t.display_name = {"Hydra Engine", "Hydra 内置推理引擎"};
  t.command = "hydra";
  t.args = with_custom({"engine", "serve", "--model", "{{.MODEL_PATH}}", "--served-model-name",
                        "{{.MODEL_NAME}}", "--listen", "{{.MODEL_HOST}}:{{.MODEL_PORT}}",
                        "--no-access-log"});
  t.executable = "hydra";
  t.images = {{"cpu", "hydra:latest"}};
  return t;
}

RuntimeTemplate vllm() {
  RuntimeTemplate t;
  t.name = "vllm";
  t.display_name = {"vLLM", "vLLM"};
  t.command = "vllm";
  t.args = with_custom({"serve", "{{.MODEL_PATH}}", "--served-model-name", "{{.MODEL_NAME}}",
                        "--host", "{{.MODEL_HOST}}", "--port", "{{.MODEL_PORT}}",
                        "--tensor-parallel-size", "{{.TP_SIZE}}", "--pipeline-parallel-size",
                        "{{.PP_SIZE}}", "--trust-remote-code"});
  t.env = {{"VLLM_WORKER_MULTIPROC_METHOD", "spawn"}};
  t.executable = "vllm";
  t.images = {{"gpu", "vllm/vllm-openai:v0.8.5"},
              {"vgpu", "vllm/vllm-openai:v0.8.5"},
              {"cpu", "public.ecr.aws/q9t5s3a7/vllm-cpu-release-repo:v0.8.5"}};
  return t;
}

RuntimeTemplate sglang() {
  RuntimeTemplate t;
  t.name = "sglang";
  t.display_name = {"SGLang", "SGLang"};
  t.command = "python3";
  t.args = with_custom({"-m", "sglang.launch_server", "--model-path", "{{.MODEL_PATH}}",
                        "--served-model-name", "{{.MODEL_NAME}}", "--host", "{{.MODEL_HOST}}",
                        "--port", "{{.MODEL_PORT}}", "--tp", "{{.TP_SIZE}}"});
  t.executable = "python3";
  t.images = {{"gpu", "lmsysorg/sglang:latest"}, {"vgpu", "lmsysorg/sglang:latest"}};
  return t;
}

RuntimeTemplate llama_cpp() {
  RuntimeTemplate t;
  t.name = "llama.cpp";
  t.display_name = {"llama.cpp", "llama.cpp"};
  t.command = "llama-server";
  t.args = with_custom({"--model", "{{.MODEL_PATH}}", "--alias", "{{.MODEL_NAME}}", "--host",
                        "{{.MODEL_HOST}}", "--port", "{{.MODEL_PORT}}"});
  t.executable = "llama-server";
  t.images = {{"cpu", "ghcr.io/ggml-org/llama.cpp:server"},
              {"gpu", "ghcr.io/ggml-org/llama.cpp:server-cuda"}};
  return t;
}

}  // namespace

std::vector<RuntimeTemplate> builtin_runtime_templates() {
  return {hydra_engine(), vllm(), sglang(), llama_cpp()};
}

}  // namespace hydra::catalog
