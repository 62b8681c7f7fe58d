// The chat layer: prompts from OpenAI-shaped requests through real model
// templates, and tool calls parsed back out of model replies.
#include "engine/chat/chat.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "engine/chat/tool_calls.h"

namespace hydra::engine::chat {
namespace {

namespace bj = boost::json;

std::string template_source(const std::string& name) {
  std::ifstream in(std::filesystem::path(HYDRA_TESTDATA_DIR) / "chat-templates" / name);
  std::ostringstream ss;
  ss << in.rdbuf();
  EXPECT_FALSE(ss.str().empty()) << name;
  return ss.str();
}

jinja::Template load(const std::string& name) {
  return jinja::Template(template_source(name));
}

ChatInputs weather_conversation(const char* arguments_json) {
  ChatInputs in;
  in.messages = bj::parse(R"([
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
      "function": {"name": "get_weather", "arguments": )" +
                          std::string(arguments_json) + R"(}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "21 C"}])")
                    .as_array();
  in.tools = bj::parse(R"([{"type": "function", "function": {"name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}])");
  return in;
}

TEST(ChatRender, DecodesStringArgumentsLikeObjectArguments) {
  auto tmpl = load("Qwen-Qwen2.5-7B-Instruct.jinja");
  std::string from_string = render_chat(tmpl, weather_conversation(R"("{\"city\": \"Paris\"}")"));
  std::string from_object = render_chat(tmpl, weather_conversation(R"({"city": "Paris"})"));
  EXPECT_EQ(from_string, from_object);
  EXPECT_NE(from_string.find(R"({"name": "get_weather", "arguments": {"city": "Paris"}})"),
            std::string::npos)
      << from_string;
  EXPECT_NE(from_string.find("<tool_response>\n21 C\n</tool_response>"), std::string::npos);
  EXPECT_TRUE(from_string.ends_with("<|im_start|>assistant\n"));

  ChatInputs raw = weather_conversation(R"("{\"city\": \"Paris\"}")");
  raw.decode_tool_arguments = false;
  EXPECT_NE(render_chat(tmpl, raw).find(R"("arguments": "{\"city\": \"Paris\"}")"),
            std::string::npos);
}

TEST(ChatRender, GenerationPromptAndSpecialTokens) {
  auto tmpl = load("meta-llama-Llama-3.1-8B-Instruct.jinja");
  ChatInputs in;
  in.messages = bj::parse(R"([{"role": "user", "content": "Hi"}])").as_array();
  in.bos_token = "<|begin_of_text|>";
  in.add_generation_prompt = false;
  jinja::RenderConfig config;
  config.now = [] {
    std::tm tm{};
    tm.tm_year = 124;
    tm.tm_mon = 6;
    tm.tm_mday = 9;
    return tm;
  };
  std::string without = render_chat(tmpl, in, config);
  in.add_generation_prompt = true;
  std::string with = render_chat(tmpl, in, config);
  EXPECT_TRUE(without.starts_with("<|begin_of_text|><|start_header_id|>system<|end_header_id|>"));
  EXPECT_EQ(with, without + "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatRender, ExtraKwargsReachTheTemplate) {
  auto tmpl = load("Qwen-Qwen3-0.6B.jinja");
  ChatInputs in;
  in.messages = bj::parse(R"([{"role": "user", "content": "Hi"}])").as_array();
  std::string thinking = render_chat(tmpl, in);
  in.extra["enable_thinking"] = false;
  std::string no_thinking = render_chat(tmpl, in);
  EXPECT_EQ(no_thinking, thinking + "<think>\n\n</think>\n\n");

  in.extra["messages"] = bj::array{};
  EXPECT_THROW(render_chat(tmpl, in), ApiError);
}

TEST(ChatRender, TemplateRefusalIsAParamError) {
  auto tmpl = load("google-gemma-2-2b-it.jinja");
  ChatInputs in;
  in.messages =
      bj::parse(R"([{"role": "system", "content": "x"}, {"role": "user", "content": "y"}])")
          .as_array();
  try {
    render_chat(tmpl, in);
    FAIL() << "expected the template to refuse a system message";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kParamError);
    EXPECT_NE(std::string(e.what()).find("System role not supported"), std::string::npos)
        << e.what();
  }
}

TEST(ChatRender, TemplateTypeErrorIsAParamError) {
  jinja::Template tmpl("{{ messages[0].content + 1 }}");
  ChatInputs in;
  in.messages = bj::parse(R"([{"role": "user", "content": "y"}])").as_array();
  EXPECT_THROW(render_chat(tmpl, in), ApiError);
}

// ---- tool-call parsing ----

IdGenerator counter_ids() {
  auto n = std::make_shared<int>(0);
  return [n] { return "call_" + std::to_string(++*n); };
}

TEST(ToolCallParse, HermesSingleCallWithContent) {
  auto r = parse_tool_calls(
      "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": "
      "\"Paris\"}}\n</tool_call>",
      ToolCallFormat::kHermes, counter_ids());
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.tool_calls[0].id, "call_1");
  EXPECT_EQ(r.tool_calls[0].name, "get_weather");
  EXPECT_EQ(r.tool_calls[0].arguments, R"({"city": "Paris"})");
  ASSERT_TRUE(r.content);
  EXPECT_EQ(*r.content, "Let me check.");
}

TEST(ToolCallParse, HermesParallelCallsAndUnterminatedLast) {
  auto r = parse_tool_calls(
      "<tool_call>{\"name\": \"a\", \"arguments\": {\"x\": [1, 2.5, \"é\"]}}</tool_call>\n"
      "<tool_call>{\"name\": \"b\", \"arguments\": {}}",
      ToolCallFormat::kHermes, counter_ids());
  ASSERT_EQ(r.tool_calls.size(), 2u);
  EXPECT_EQ(r.tool_calls[0].arguments, R"({"x": [1, 2.5, "é"]})");
  EXPECT_EQ(r.tool_calls[1].name, "b");
  EXPECT_EQ(r.tool_calls[1].id, "call_2");
  EXPECT_FALSE(r.content);
}

TEST(ToolCallParse, HermesMalformedStaysContent) {
  std::string text = "<tool_call>{\"name\": \"a\", \"arguments\": {</tool_call>";
  auto r = parse_tool_calls(text, ToolCallFormat::kHermes, counter_ids());
  EXPECT_TRUE(r.tool_calls.empty());
  EXPECT_EQ(r.content.value_or(""), text);
  auto no_name =
      parse_tool_calls("<tool_call>{\"arguments\": {}}</tool_call>", ToolCallFormat::kHermes);
  EXPECT_TRUE(no_name.tool_calls.empty());
  auto plain = parse_tool_calls("Just text.", ToolCallFormat::kHermes);
  EXPECT_TRUE(plain.tool_calls.empty());
  EXPECT_EQ(plain.content.value_or(""), "Just text.");
}

TEST(ToolCallParse, Llama3Json) {
  auto r = parse_tool_calls("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Rome\"}}",
                            ToolCallFormat::kLlama3Json, counter_ids());
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.tool_calls[0].name, "get_weather");
  EXPECT_EQ(r.tool_calls[0].arguments, R"({"city": "Rome"})");
  EXPECT_FALSE(r.content);

  auto tagged = parse_tool_calls(
      "<|python_tag|>{\"name\": \"a\", \"arguments\": {\"q\": 1}}; {\"name\": \"b\", "
      "\"parameters\": {}}",
      ToolCallFormat::kLlama3Json, counter_ids());
  ASSERT_EQ(tagged.tool_calls.size(), 2u);
  EXPECT_EQ(tagged.tool_calls[0].arguments, R"({"q": 1})");
  EXPECT_EQ(tagged.tool_calls[1].name, "b");

  for (const char* text :
       {"The weather is fine.", "{\"name\": \"a\", \"parameters\": {}} and more text",
        "{\"not_a_call\": 1}", "{\"name\": \"a\", \"parameters\": {"}) {
    auto p = parse_tool_calls(text, ToolCallFormat::kLlama3Json);
    EXPECT_TRUE(p.tool_calls.empty()) << text;
    EXPECT_EQ(p.content.value_or(""), text);
  }
}

TEST(ToolCallParse, FormatDetectedFromRealTemplates) {
  EXPECT_EQ(detect_tool_call_format(template_source("Qwen-Qwen2.5-7B-Instruct.jinja")),
            ToolCallFormat::kHermes);
  EXPECT_EQ(
      detect_tool_call_format(template_source("NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja")),
      ToolCallFormat::kHermes);
  EXPECT_EQ(detect_tool_call_format(template_source("meta-llama-Llama-3.1-8B-Instruct.jinja")),
            ToolCallFormat::kLlama3Json);
  EXPECT_EQ(detect_tool_call_format(template_source("google-gemma-2-2b-it.jinja")),
            ToolCallFormat::kNone);
}

TEST(ToolCallParse, OpenAiShapeAndRoundTripThroughTheTemplate) {
  auto reply = parse_tool_calls(
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": "
      "\"Paris\"}}\n</tool_call>",
      ToolCallFormat::kHermes, counter_ids());
  bj::array calls = to_openai(reply.tool_calls);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(
      bj::serialize(calls[0]),
      R"({"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}})");
  EXPECT_TRUE(new_tool_call_id().starts_with("call_"));
  EXPECT_NE(new_tool_call_id(), new_tool_call_id());

  // The parsed call, sent back as history, renders the same block the model produced.
  ChatInputs in;
  in.messages =
      bj::array{bj::object{{"role", "user"}, {"content", "Weather?"}},
                bj::object{{"role", "assistant"}, {"content", nullptr}, {"tool_calls", calls}}};
  in.add_generation_prompt = false;
  std::string prompt = render_chat(load("Qwen-Qwen2.5-7B-Instruct.jinja"), in);
  EXPECT_NE(prompt.find("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": "
                        "\"Paris\"}}\n</tool_call>"),
            std::string::npos)
      << prompt;
}

}  // namespace
}  // namespace hydra::engine::chat
