// response_format json_schema: the compiler refuses what it does not
// enforce; the schema grammar accepts only valid instances and can always
// finish; generation from random-weight models always validates.
#include "engine/sampling/json_schema.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <filesystem>
#include <random>

#include "common/error.h"
#include "engine/format/gguf.h"
#include "engine/model/test_model.h"
#include "engine/sampling/generate.h"
#include "engine/sampling/schema_grammar.h"
#include "engine/tokenizer/gguf_vocab.h"

namespace hydra::engine {
namespace {

namespace bj = boost::json;

// An independent validator for the subset (the test's oracle).
bool valid(const bj::value& v, const bj::value& schema, std::string& why);

bool type_ok(const bj::value& v, std::string_view t) {
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  if (t == "string") return v.is_string();
  if (t == "boolean") return v.is_bool();
  if (t == "null") return v.is_null();
  if (t == "number") return v.is_number();
  if (t == "integer") {
    if (v.is_int64() || v.is_uint64()) return true;
    return v.is_double() && v.get_double() == std::floor(v.get_double());
  }
  return false;
}

bool valid(const bj::value& v, const bj::value& schema, std::string& why) {
  if (schema.is_bool()) return schema.get_bool();
  const bj::object& s = schema.as_object();
  if (const bj::value* t = s.if_contains("type")) {
    bool ok = false;
    if (t->is_string()) ok = type_ok(v, t->get_string());
    if (t->is_array())
      for (const auto& name : t->get_array()) ok = ok || type_ok(v, name.get_string());
    if (!ok) return why = "type " + bj::serialize(*t) + " vs " + bj::serialize(v), false;
  }
  if (const bj::value* e = s.if_contains("enum")) {
    bool found = false;
    for (const auto& x : e->get_array()) found = found || x == v;
    if (!found) return why = "not in enum: " + bj::serialize(v), false;
  }
  if (const bj::value* c = s.if_contains("const"); c && *c != v)
    return why = "not the const: " + bj::serialize(v), false;
  if (v.is_object()) {
    const bj::object& o = v.get_object();
    const bj::value* props = s.if_contains("properties");
    if (const bj::value* req = s.if_contains("required")) {
      for (const auto& name : req->get_array())
        if (!o.contains(name.get_string()))
          return why = "missing " + std::string(name.get_string()), false;
    }
    for (const auto& kv : o) {
      const bj::value* sub = props ? props->get_object().if_contains(kv.key()) : nullptr;
      if (sub) {
        if (!valid(kv.value(), *sub, why)) return false;
      } else if (const bj::value* ap = s.if_contains("additionalProperties");
                 ap && *ap == bj::value(false)) {
        return why = "extra key " + std::string(kv.key()), false;
      }
    }
  }
  if (v.is_array()) {
    if (const bj::value* items = s.if_contains("items"))
      for (const auto& x : v.get_array())
        if (!valid(x, *items, why)) return false;
  }
  return true;
}

const std::vector<std::string>& schemas() {
  static const std::vector<std::string> s = {
      R"({"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},
          "email":{"type":"string"}},"required":["name","age"],"additionalProperties":false})",
      R"({"type":"object","properties":{"city":{"type":"string","enum":["Paris","Tokyo","Lima"]},
          "unit":{"enum":["c","f",null]},"days":{"type":"array","items":{"type":"number"}},
          "ok":{"type":"boolean"}},"required":["city","days"],"additionalProperties":false})",
      R"({"type":"array","items":{"type":"object","properties":{"id":{"type":"integer"},
          "tags":{"type":"array","items":{"type":"string"}},"note":{"type":["string","null"]}},
          "required":["id"],"additionalProperties":false}})",
      R"({"type":"object","properties":{"meta":{"type":"object"},"v":{"const":{"a":[1,2]}},
          "n":{"type":"null"}},"required":["meta","v","n"]})",
      R"({"type":"object","properties":{"x":{"type":"object","additionalProperties":false},
          "level":{"enum":[1,10,100]}},"required":["level"],"additionalProperties":false})",
      R"({"type":"integer"})",
      R"({"title":"Any","description":"anything at all"})",
  };
  return s;
}

void expect_valid(const std::string& text, const std::string& schema_text) {
  boost::system::error_code ec;
  const bj::value v = bj::parse(text, ec);
  ASSERT_FALSE(ec) << "not JSON: " << text;
  std::string why;
  EXPECT_TRUE(valid(v, bj::parse(schema_text), why)) << why << "\n  text: " << text;
}

TEST(JsonSchema, UnsupportedKeywordsAreRefusedByName) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"type":"string","pattern":"^a"})", "'pattern'"},
      {R"({"anyOf":[{"type":"string"},{"type":"null"}]})", "'anyOf'"},
      {R"({"type":"object","additionalProperties":{"type":"string"}})", "additionalProperties"},
      {R"({"type":"array","items":{"$ref":"#/x"}})", "'$ref'"},
      {R"({"type":"strin"})", "unknown type"},
      {R"({"enum":[]})", "enum"},
      {R"({"type":"integer","enum":["a"]})", "no enum value"},
      {R"({"properties":{},"required":["x"],"additionalProperties":false})", "requires"},
      {R"(false)", "no value"},
      {R"("object")", "must be an object"},
  };
  for (const auto& [schema, words] : bad) {
    try {
      compile_json_schema(bj::parse(schema), "response_format.json_schema.schema");
      ADD_FAILURE() << "accepted " << schema;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.code(), ErrorCode::kParamError);
      EXPECT_EQ(e.param(), "response_format.json_schema.schema");
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  }
  bj::value deep = bj::object{{"type", "string"}};
  for (int i = 0; i < 40; ++i) deep = bj::object{{"type", "array"}, {"items", deep}};
  EXPECT_THROW(compile_json_schema(deep, "p"), ApiError);
}

TEST(JsonSchema, GrammarRefusesInvalidInstances) {
  auto schema = compile_json_schema(bj::parse(schemas()[0]), "p");
  auto accepts = [&](std::string_view text) {
    SchemaGrammar g(*schema);
    return g.advance(text) && g.complete();
  };
  EXPECT_TRUE(accepts(R"({"name":"Ann","age":3})"));
  EXPECT_TRUE(accepts(R"({"name": "Ann", "age": -30, "email": "a@b"})"));
  EXPECT_FALSE(accepts(R"({"age":3,"name":"Ann"})")) << "declared order";
  EXPECT_FALSE(accepts(R"({"name":"Ann"})")) << "age is required";
  EXPECT_FALSE(accepts(R"({"name":"Ann","age":3.5})")) << "age is an integer";
  EXPECT_FALSE(accepts(R"({"name":"Ann","age":3,"x":1})")) << "no other keys";
  EXPECT_FALSE(accepts(R"({"name":1,"age":3})"));
  EXPECT_FALSE(accepts(R"({"name":"Ann","age":3} )")) << "nothing after the value";
  auto levels = compile_json_schema(bj::parse(schemas()[4]), "p");
  SchemaGrammar g(*levels);
  EXPECT_TRUE(g.advance(R"({"level":10)"));
  EXPECT_FALSE(SchemaGrammar(g).advance("1")) << "1000 is not in the enum";
  EXPECT_TRUE(g.advance("}"));
  EXPECT_TRUE(g.complete());
}

// Random walks over the bytes the grammar allows, under a byte budget that
// the completion must respect: every walk ends in a valid instance.
TEST(JsonSchema, RandomWalksAlwaysFinishValid) {
  std::mt19937_64 rng(2024);
  int walks = 0;
  for (const std::string& text : schemas()) {
    auto schema = compile_json_schema(bj::parse(text), "p");
    for (int round = 0; round < 40; ++round) {
      SchemaGrammar g(*schema);
      const int shortest = static_cast<int>(schema->nodes[schema->root].shortest.size());
      const int budget = shortest + static_cast<int>(rng() % 100);
      std::string out;
      while (!g.complete() && static_cast<int>(out.size()) < budget) {
        if (g.may_end() && rng() % 4 == 0) break;
        std::vector<uint8_t> options;
        for (int b = 0; b < 256; ++b) {
          SchemaGrammar next = g;
          if (next.advance(static_cast<uint8_t>(b)) &&
              static_cast<int>(out.size() + 1 + next.completion().size()) <= budget)
            options.push_back(static_cast<uint8_t>(b));
        }
        if (options.empty() && g.may_end()) break;  // e.g. a top-level 0
        ASSERT_FALSE(options.empty()) << "stuck after " << out;
        const uint8_t b = options[rng() % options.size()];
        ASSERT_TRUE(g.advance(b));
        out += static_cast<char>(b);
      }
      if (!g.may_end()) {
        const std::string rest = g.completion();
        ASSERT_TRUE(g.advance(rest)) << out << " + " << rest;
        out += rest;
      }
      EXPECT_TRUE(g.may_end());
      EXPECT_LE(static_cast<int>(out.size()), budget);
      expect_valid(out, text);
      ++walks;
    }
  }
  std::printf("[ figures ] %d random walks over %zu schemas: all valid\n", walks, schemas().size());
}

struct Fixture {
  std::unique_ptr<Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<TokenBytes> bytes;
};

const Fixture& model_fixture() {
  static const Fixture f = [] {
    const std::string dir =
        (std::filesystem::temp_directory_path() / ("hydra-schema-" + std::to_string(::getpid())))
            .string();
    std::filesystem::create_directories(dir);
    TestModelOptions o;
    o.vocab_path = std::string(HYDRA_TESTDATA_DIR) + "/vocab/ggml-vocab-llama-spm.gguf";
    o.hidden = 32;
    o.heads = 2;
    o.layers = 1;
    o.seed = 5;
    const std::string path = dir + "/m.gguf";
    make_test_model(path, o, TestModelFormat::kGguf);
    Fixture x;
    x.model = load_model(path);
    x.tokenizer = std::make_unique<Tokenizer>(vocab_from_gguf(read_gguf(path)));
    x.bytes = std::make_unique<TokenBytes>(*x.tokenizer);
    std::filesystem::remove_all(dir);
    return x;
  }();
  return f;
}

TEST(JsonSchema, RandomWeightModelsAlwaysGenerateValidInstances) {
  const Fixture& f = model_fixture();
  const std::vector<int32_t> prompt = f.tokenizer->encode("Answer in JSON:");
  int generations = 0, stopped = 0;
  for (size_t s = 0; s < schemas().size(); ++s) {
    auto schema = compile_json_schema(bj::parse(schemas()[s]), "p");
    for (uint64_t seed = 1; seed <= 8; ++seed) {
      SamplingParams p;
      p.json_schema = schema;
      p.temperature = seed % 4 == 0 ? 0.0f : 0.8f + 0.3f * static_cast<float>(seed % 3);
      if (seed % 2) p.top_k = 50;
      p.max_tokens =
          static_cast<int32_t>(schema->nodes[schema->root].shortest.size() + 2 + (seed * 5) % 8);
      const Generation g = generate(*f.model, *f.tokenizer, prompt, p, seed, 0, f.bytes.get());
      EXPECT_LE(g.tokens.size(), static_cast<size_t>(p.max_tokens));
      expect_valid(g.text, schemas()[s]);
      stopped += g.finish_reason == "stop";
      ++generations;
      if (seed == 1) std::printf("[ figures ] schema %zu: %s\n", s, g.text.c_str());
    }
  }
  std::printf("[ figures ] %d schema-constrained generations, all valid; %d ended on their own\n",
              generations, stopped);
  EXPECT_GE(generations, 50);
  EXPECT_GT(stopped, generations / 2);
}

}  // namespace
}  // namespace hydra::engine
