#include "deploy/runtime_config.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "common/error.h"

namespace hydra::deploy {
namespace {

namespace bj = boost::json;

// The manual's config.yaml example, as an operator pastes it.
const char* kConfigYaml = R"(templates:
  - runtime: vllm-cpu
    runtimeZH: vLLM
    podTemplate:
      containerTemplate:
        commandTemplate:
          - "/bin/bash"
          - "-c"
        argsTemplate:
          - |-
            {{- if .IS_DISTRIBUTED -}}
              {{- if .IS_LEADER -}}
                ray start --head --port={{ .RAY_PORT }} && vllm serve {{ .MODEL_PATH }} --served-model-name {{ .MODEL_NAME }} --trust-remote-code --tensor-parallel-size={{ .TP_SIZE }} --pipeline-parallel-size={{ .PP_SIZE }}
              {{- else -}}
                ray start --block --address=$(LWS_LEADER_ADDRESS):{{ .RAY_PORT }}
              {{- end -}}
            {{- else -}}
              vllm serve {{ .MODEL_PATH }} --served-model-name {{ .MODEL_NAME }} --trust-remote-code {{- if gt .TP_SIZE 1 }} --tensor-parallel-size {{ .TP_SIZE }} {{- end -}}
            {{- end -}}
            {{- if .CUSTOM_ARGS -}} {{ range .CUSTOM_ARGS }} {{ . }} {{- end -}} {{- end -}}
  - runtime: sglang-multiline
    podTemplate:
      containerTemplate:
        argsTemplate:
          - "--model-path={{ .MODEL_PATH }}"
          - "{{ if gt .TP_SIZE 1 }}--tp={{ .TP_SIZE }}{{ end }}"
          - "--port={{ .MODEL_PORT }}"
  - runtime: bare
)";

bj::object vars() {
  return bj::parse(R"({"MODEL_PATH": "/data/serving-model", "MODEL_NAME": "qwen", "TP_SIZE": 1,
    "PP_SIZE": 1, "IS_DISTRIBUTED": false, "IS_LEADER": false, "MODEL_PORT": 8000,
    "CUSTOM_ARGS": ["--max-model-len=4096", "--enforce-eager"]})")
      .as_object();
}

TEST(RuntimeConfig, ManualExampleLoadsAndRendersSingleLineArgs) {
  auto specs = parse_runtime_config(kConfigYaml);
  ASSERT_EQ(specs.size(), 3u);
  EXPECT_EQ(specs[0].runtime, "vllm-cpu");
  EXPECT_EQ(specs[0].runtime_zh, "vLLM");
  RenderedCommand c = render_runtime(specs[0], vars());
  EXPECT_EQ(c.command, (std::vector<std::string>{"/bin/bash", "-c"}));
  // Single-line args: the template itself renders CUSTOM_ARGS; nothing appended.
  EXPECT_EQ(c.args,
            (std::vector<std::string>{"vllm serve /data/serving-model --served-model-name qwen "
                                      "--trust-remote-code --max-model-len=4096 --enforce-eager"}));
}

TEST(RuntimeConfig, MultiLineArgsGetCustomArgsAppended) {
  auto specs = parse_runtime_config(kConfigYaml);
  RenderedCommand c = render_runtime(specs[1], vars());
  EXPECT_TRUE(c.command.empty());
  // The blank --tp element is dropped; CUSTOM_ARGS follow the rendered args.
  EXPECT_EQ(c.args, (std::vector<std::string>{"--model-path=/data/serving-model", "--port=8000",
                                              "--max-model-len=4096", "--enforce-eager"}));
}

TEST(RuntimeConfig, NoTemplateMeansCustomArgsOnly) {
  auto specs = parse_runtime_config(kConfigYaml);
  RenderedCommand c = render_runtime(specs[2], vars());
  EXPECT_EQ(c.args, (std::vector<std::string>{"--max-model-len=4096", "--enforce-eager"}));
}

TEST(RuntimeConfig, CustomArgsSlotSplicesOnePerElement) {
  RuntimeSpec spec;
  spec.command_template = {"hydra"};
  spec.args_template = {"engine", "serve", "--model", "{{.MODEL_PATH}}", "{{.CUSTOM_ARGS}}"};
  RenderedCommand c = render_runtime(spec, vars());
  EXPECT_EQ(c.args, (std::vector<std::string>{"engine", "serve", "--model", "/data/serving-model",
                                              "--max-model-len=4096", "--enforce-eager"}));
  bj::object none = vars();
  none["CUSTOM_ARGS"] = bj::array{};
  EXPECT_EQ(render_runtime(spec, none).args.size(), 4u);
}

TEST(RuntimeConfig, BadConfigsAreParamErrors) {
  const char* bad[] = {"templates: [", "nothing: 1", "templates:\n  - runtimeZH: x\n",
                       "templates:\n  - runtime: x\n    podTemplate:\n      containerTemplate:\n"
                       "        argsTemplate: ['{{ if }}']\n"};
  for (const char* y : bad) {
    try {
      parse_runtime_config(y);
      ADD_FAILURE() << y;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.code(), ErrorCode::kParamError);
    }
  }
}

TEST(RuntimeConfig, AgentImageMatching) {
  auto rules = parse_agent_image_rules(R"(deployment_templates:
  - match_runtimes: [vllm-cpu]
    match_gpu_types: [cpu]
    container_template:
      image:
        registry: swr.cn-south-1.myhuaweicloud.com
        repository: ascendhub/mindie
        tag: 2.1.RC1
  - match_runtimes: [vllm, vllm-cpu]
    match_gpu_types: [nvidia-gpu, nvidia-vgpu]
    container_template:
      image: vllm/vllm-openai:v0.8.5
)");
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(match_image(rules, "vllm-cpu", "cpu").value_or(""),
            "swr.cn-south-1.myhuaweicloud.com/ascendhub/mindie:2.1.RC1");
  EXPECT_EQ(match_image(rules, "vllm-cpu", "nvidia-gpu").value_or(""), "vllm/vllm-openai:v0.8.5");
  EXPECT_EQ(match_image(rules, "vllm", "nvidia-vgpu").value_or(""), "vllm/vllm-openai:v0.8.5");
  EXPECT_FALSE(match_image(rules, "vllm", "cpu"));
  EXPECT_FALSE(match_image(rules, "sglang", "nvidia-gpu"));
}

}  // namespace
}  // namespace hydra::deploy
