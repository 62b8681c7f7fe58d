// Hostile templates (they arrive inside model files) end in a TemplateError
// quickly: no hang, no stack overflow, no unbounded memory.
#include <gtest/gtest.h>

#include <chrono>

#include "engine/chat/template.h"

namespace hydra::engine::jinja {
namespace {

// A step budget smaller than the default keeps this test quick in debug
// builds; LimitsAreConfigurable shows the default applies the same way.
void expect_rejected(const std::string& source, const char* why) {
  RenderConfig config;
  config.limits.max_steps = 300'000;
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(
      {
        Template t(source);
        t.render(Value::new_dict(), config);
      },
      TemplateError)
      << why;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start);
  EXPECT_LT(ms.count(), 10000) << why;
}

TEST(TemplateLimits, HostileTemplatesFailCleanly) {
  expect_rejected(
      "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
      "quadratic loop exhausts the step budget");
  expect_rejected("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "unbounded recursion");
  expect_rejected("{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}",
                  "deep expression");
  expect_rejected("{{ " + std::string(3000, '[') + " }}", "unbalanced brackets");
  expect_rejected("{{ " + std::string(3000, '-') + "1 }}", "deep unary chain");
  expect_rejected("{{ x" + std::string(3000, '|') + " }}", "filter pipe chain");
  {
    std::string nested;
    for (int i = 0; i < 1000; ++i) nested += "{% if true %}";
    expect_rejected(nested, "deep block nesting");
  }
  expect_rejected("{{ 'x' * 100000000 }}", "huge string");
  expect_rejected("{{ [0] * 100000000 }}", "huge list");
  expect_rejected(
      "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% "
      "endfor %}",
      "string doubling");
  expect_rejected("{% for i in range(10000000000) %}{% endfor %}", "huge range");
  expect_rejected("{% for i in range(2000) %}{{ 'y' * 10000 }}{% endfor %}", "output size");
  expect_rejected("{% set l = [] %}{% set _ = l.append(l) %}{{ l }}", "self-containing list");
  expect_rejected(
      "{% set ns = namespace() %}{% set ns.me = ns %}{{ ns.me == ns.me }}{{ ns | tojson }}",
      "cyclic namespace");
  expect_rejected("{{ 2 ** 100 }}", "integer overflow");
  expect_rejected("{{ 9223372036854775807 + 1 }}", "integer overflow");
  expect_rejected("{{ 99999999999999999999 }}", "integer literal too large");
  expect_rejected("{{ xs[::0] }}{{ 'abc'[::0] }}", "zero slice step");
  expect_rejected("{{ '{:>999999999}'.format(1) }}", "format width");
  expect_rejected("{{ 'a' | indent(100000000) }}", "indent width");
}

TEST(TemplateLimits, LimitsAreConfigurable) {
  Template t("{% for i in range(1000) %}x{% endfor %}");
  RenderConfig config;
  config.limits.max_output = 100;
  EXPECT_THROW(t.render(Value::new_dict(), config), TemplateError);
  config.limits.max_output = 1000;
  EXPECT_EQ(t.render(Value::new_dict(), config), std::string(1000, 'x'));
  config.limits.max_steps = 50;
  EXPECT_THROW(t.render(Value::new_dict(), config), TemplateError);
  EXPECT_GT(RenderLimits{}.max_steps, 1'000'000u);  // room for long conversations
  EXPECT_LT(RenderLimits{}.max_steps, 100'000'000u);
}

TEST(TemplateLimits, RenderDoesNotTouchTheCallersContext) {
  Value ctx = Value::new_dict();
  Value list = Value::new_list({Value::integer(1)});
  ctx.dict->set(Value::string("xs"), list);
  Template t("{% set _ = xs.append(2) %}{{ xs }}");
  EXPECT_EQ(t.render(ctx), "[1, 2]");
  EXPECT_EQ(t.render(ctx), "[1, 2]");
  EXPECT_EQ(list.list->size(), 1u);
}

TEST(TemplateLimits, SyntaxErrorsNameTheLine) {
  try {
    Template t("line one\n{% if x %}\n{{ 1 + }}\n{% endif %}");
    FAIL() << "expected a syntax error";
  } catch (const TemplateSyntaxError& e) {
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hydra::engine::jinja
