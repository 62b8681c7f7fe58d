// Every chat template under testdata/chat-templates, rendered on a set of
// conversations by this interpreter and by Python's jinja2 (the oracle, run
// at test time), must give byte-identical prompts, or both must fail.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "engine/chat/template.h"
#include "oracle.h"

namespace hydra::engine {
namespace {

namespace fs = std::filesystem;
namespace bj = boost::json;

const char* kTools = R"([
  {"type": "function", "function": {"name": "get_weather",
    "description": "Get the current weather in a city",
    "parameters": {"type": "object",
      "properties": {"city": {"type": "string", "description": "City name"},
                     "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
      "required": ["city"]}}},
  {"type": "function", "function": {"name": "search",
    "description": "Search the web",
    "parameters": {"type": "object",
      "properties": {"query": {"type": "string"}, "limit": {"type": "integer", "default": 5}},
      "required": ["query"]}}}
])";

struct Conversation {
  const char* name;
  const char* messages;
  bool tools;
  const char* extra = nullptr;  // template kwargs, as chat_template_kwargs would pass
};

const Conversation kConversations[] = {
    {"user_only", R"([{"role": "user", "content": "Hello!"}])", false},
    {"system_user",
     R"([{"role": "system", "content": "You are a terse assistant."},
         {"role": "user", "content": "What is 2+2?"}])",
     false},
    {"multi_turn",
     R"([{"role": "system", "content": "Be helpful."},
         {"role": "user", "content": "Hi there"},
         {"role": "assistant", "content": "Hello! How can I help?"},
         {"role": "user", "content": "Tell me a joke."}])",
     false},
    {"multi_turn_no_system",
     R"([{"role": "user", "content": "First question"},
         {"role": "assistant", "content": "First answer"},
         {"role": "user", "content": "Second question"},
         {"role": "assistant", "content": "Second answer"}])",
     false},
    {"tools_offered",
     R"([{"role": "system", "content": "You can call tools."},
         {"role": "user", "content": "Weather in Paris?"}])",
     true},
    {"tool_call_dict_args",
     R"([{"role": "user", "content": "Weather in Paris?"},
         {"role": "assistant", "content": null, "tool_calls": [
           {"id": "call12345", "type": "function",
            "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}}]},
         {"role": "tool", "tool_call_id": "call12345", "name": "get_weather",
          "content": "{\"temperature\": 21, \"sky\": \"clear\"}"},
         {"role": "assistant", "content": "It is 21 °C and clear in Paris."},
         {"role": "user", "content": "Thanks"}])",
     true},
    {"tool_call_string_args",
     R"([{"role": "system", "content": "Use tools when needed."},
         {"role": "user", "content": "Search for jinja"},
         {"role": "assistant", "content": "", "tool_calls": [
           {"id": "call67890", "type": "function",
            "function": {"name": "search", "arguments": "{\"query\": \"jinja\", \"limit\": 3}"}}]},
         {"role": "tool", "tool_call_id": "call67890", "content": "Jinja is a template engine."}])",
     true},
    {"parallel_tool_calls",
     R"([{"role": "user", "content": "Weather in Paris and Rome?"},
         {"role": "assistant", "content": "", "tool_calls": [
           {"id": "callAAAAA", "type": "function",
            "function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
           {"id": "callBBBBB", "type": "function",
            "function": {"name": "get_weather", "arguments": {"city": "Rome"}}}]},
         {"role": "tool", "tool_call_id": "callAAAAA", "name": "get_weather", "content": "18"},
         {"role": "tool", "tool_call_id": "callBBBBB", "name": "get_weather", "content": "25"}])",
     true},
    {"reasoning",
     R"([{"role": "user", "content": "Is 17 prime?"},
         {"role": "assistant", "content": "Yes, 17 is prime.",
          "reasoning_content": "17 has no divisors besides 1 and itself."},
         {"role": "user", "content": "And 21?"}])",
     false},
    {"think_in_content",
     R"([{"role": "user", "content": "Pick a number"},
         {"role": "assistant", "content": "<think>\nAny number works.\n</think>\n\nSeven."},
         {"role": "user", "content": "Why?"}])",
     false},
    {"unicode_and_quotes",
     R"([{"role": "system", "content": "Réponds en français. Use \"quotes\" and 'apostrophes'."},
         {"role": "user", "content": "Ça va? 你好 👋 <b>tags</b> & {{ braces }}\n  indented\ttab"}])",
     false},
    {"content_parts",
     R"([{"role": "system", "content": [{"type": "text", "text": "System as parts."}]},
         {"role": "user", "content": [{"type": "text", "text": "Part one."},
                                      {"type": "text", "text": "Part two."}]}])",
     false},
    {"content_with_tool_call",
     R"([{"role": "user", "content": "  Weather in Oslo?  "},
         {"role": "assistant", "content": "Checking the weather.", "tool_calls": [
           {"id": "callOSLO1", "type": "function",
            "function": {"name": "get_weather", "arguments": {"city": "Oslo", "unit": "celsius"}}}]},
         {"role": "tool", "tool_call_id": "callOSLO1", "name": "get_weather", "content": "-3"},
         {"role": "assistant", "content": "It is -3 °C in Oslo."}])",
     true},
    {"thinking_disabled",
     R"([{"role": "system", "content": "Answer directly."},
         {"role": "user", "content": "2+2?"},
         {"role": "assistant", "content": "4", "reasoning_content": "simple sum"},
         {"role": "user", "content": "3+3?"}])",
     false, R"({"enable_thinking": false, "thinking": false, "reasoning_effort": "low"})"},
};

std::tm fixed_now() {
  std::tm tm{};
  std::istringstream in(test::kOracleNow);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  mktime(&tm);  // fills tm_wday / tm_yday
  return tm;
}

bj::object make_context(const Conversation& c, bool add_generation_prompt) {
  bj::object ctx;
  ctx["messages"] = bj::parse(c.messages);
  if (c.tools) ctx["tools"] = bj::parse(kTools);
  // Hugging Face passes tools=None when a request has none; some callers
  // leave it out. Both are covered, one per generation-prompt setting.
  else if (!add_generation_prompt)
    ctx["tools"] = nullptr;
  ctx["add_generation_prompt"] = add_generation_prompt;
  ctx["bos_token"] = "<s>";
  ctx["eos_token"] = "</s>";
  if (c.extra) {
    bj::value extra = bj::parse(c.extra);
    for (const auto& kv : extra.as_object()) ctx[kv.key()] = kv.value();
  }
  return ctx;
}

std::vector<fs::path> template_files() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(HYDRA_TESTDATA_DIR) / "chat-templates"))
    if (e.path().extension() == ".jinja") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// First differing line, for readable failures.
std::string first_difference(const std::string& want, const std::string& got) {
  size_t i = 0;
  while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
  size_t from = i > 80 ? i - 80 : 0;
  return "at byte " + std::to_string(i) +
         "\n  python: " + bj::serialize(bj::value(want.substr(from, 200))) +
         "\n  hydra:  " + bj::serialize(bj::value(got.substr(from, 200)));
}

TEST(ChatTemplateConformance, EveryTemplateMatchesJinja2) {
  auto files = template_files();
  ASSERT_GE(files.size(), 40u) << "chat-templates test data is missing";
  bj::array jobs;
  struct Case {
    size_t file;
    const Conversation* conv;
    bool gen;
  };
  std::vector<Case> cases;
  for (size_t f = 0; f < files.size(); ++f) {
    for (const auto& conv : kConversations) {
      for (bool gen : {true, false}) {
        bj::object ctx = make_context(conv, gen);
        ctx["__now__"] = test::kOracleNow;
        jobs.push_back(bj::object{{"template", files[f].string()}, {"context", ctx}});
        cases.push_back({f, &conv, gen});
      }
    }
  }
  std::string error;
  auto oracle = test::run_oracle(jobs, error);
  ASSERT_TRUE(oracle) << error;

  jinja::RenderConfig config;
  config.now = fixed_now;
  std::map<size_t, int> passed, rendered, failed;
  std::map<size_t, std::string> first_failure;
  std::map<size_t, std::unique_ptr<jinja::Template>> parsed;
  std::map<size_t, std::string> parse_errors;
  for (size_t f = 0; f < files.size(); ++f) {
    try {
      parsed[f] = std::make_unique<jinja::Template>(read_file(files[f]));
    } catch (const jinja::TemplateError& e) {
      parse_errors[f] = e.what();
    }
  }
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const test::OracleResult& want = (*oracle)[i];
    bool ok = false;
    std::string got;
    if (parsed[c.file]) {
      try {
        got = parsed[c.file]->render(make_context(*c.conv, c.gen), config);
        ok = true;
      } catch (const jinja::TemplateError& e) {
        got = std::string("error: ") + e.what();
      }
    } else {
      got = "parse error: " + parse_errors[c.file];
    }
    bool match = want.ok ? (ok && got == want.out) : !ok;
    if (match) {
      ++passed[c.file];
      if (want.ok) ++rendered[c.file];
    } else {
      ++failed[c.file];
      if (!first_failure.count(c.file)) {
        std::string what = std::string(c.conv->name) + (c.gen ? " +gen" : " -gen") + ": ";
        if (want.ok && ok)
          what += first_difference(want.out, got);
        else if (want.ok)
          what += "python rendered, hydra failed: " + got;
        else
          what += "python failed (" + want.out + "), hydra rendered";
        first_failure[c.file] = what;
      }
    }
  }
  int templates_passing = 0;
  std::ostringstream report;
  for (size_t f = 0; f < files.size(); ++f) {
    bool ok = failed[f] == 0 && rendered[f] > 0;
    templates_passing += ok;
    report << (ok ? "PASS " : "FAIL ") << files[f].filename().string() << "  (" << passed[f]
           << " match, " << rendered[f] << " rendered by jinja2, " << failed[f] << " differ)\n";
    if (!ok && first_failure.count(f)) report << "     " << first_failure[f] << "\n";
    if (!ok && rendered[f] == 0)
      report << "     jinja2 rendered no conversation for this template\n";
  }
  std::cout << report.str() << templates_passing << "/" << files.size() << " templates pass\n";
  EXPECT_EQ(templates_passing, static_cast<int>(files.size())) << report.str();
}

}  // namespace
}  // namespace hydra::engine
