// Small templates covering the jinja2 language feature by feature, each
// rendered by this interpreter and by Python's jinja2 (the oracle); outputs
// must be byte-identical, or both must fail.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "engine/chat/template.h"
#include "oracle.h"

namespace hydra::engine {
namespace {

namespace bj = boost::json;

const char* kContext = R"({
  "xs": [3, 1, 2], "names": ["b", "A", "c", "a"], "empty": [], "s": "  Héllo, Wörld!  ",
  "d": {"b": 2, "a": 1, "items": 5}, "n": null, "t": true, "f": 1.5, "i": -7, "big": 1e16,
  "users": [{"name": "ann", "age": 30, "tags": ["x"]}, {"name": "bob", "age": 25},
            {"name": "cat", "age": 35, "tags": []}],
  "msg": {"role": "user", "content": "hi"}, "nested": {"a": {"b": [10, 20, {"c": "deep"}]}},
  "text": "line1\nline2\n\nline4", "uni": "日本語テキスト", "num_str": "42", "float_str": " 3.75 "
})";

const char* kCases[] = {
    // output and literals
    "{{ 'a' 'b' }}|{{ \"q\\\"uote\" }}|{{ 'tab\\tnl\\nuni\\u00e9\\x41' }}|{{ 1_000 }}|{{ 0.5 }}|{{ "
    "2e3 }}",
    "{{ xs }}|{{ d }}|{{ (1,) }}|{{ (1, 'a') }}|{{ [none, true, false] }}|{{ n }}|{{ t }}",
    "{{ 1.0 }}|{{ 3.0 * 2 }}|{{ 10 / 4 }}|{{ 10 / 5 }}|{{ big }}|{{ 1e-7 }}|{{ 0.1 + 0.2 }}|{{ "
    "-0.0 }}",
    "{{ [\"it's\", 'say \"hi\"', 'both \\' \"'] }}|{{ {'k': 'v\\n'} }}",
    "{{ undefined_name }}|{{ d.missing }}|{{ xs[10] }}|{{ n.attr }}|{{ msg.content }}",
    // whitespace control, trim_blocks, lstrip_blocks
    "a\n  {% if t %}\n    b\n  {% endif %}\nc\n",
    "a  {%- if t -%}  b  {%- endif -%}  c",
    "{% for x in xs %}\n  {{ x }}\n{% endfor %}\n",
    "x {# comment #}\n  {#- c2 -#}   y\n    {# indented comment #}\nz",
    "  {%+ if t %}kept{% endif %}\n{{ 'v' }}   \n  {{- 'w' }}",
    "line\n    {% set a = 1 %}\n{{ a }}\n",
    "{% if t %}yes{% else %}no{% endif %}\n\n",
    // conditionals
    "{% if n %}a{% elif f > 1 %}b{% elif t %}c{% else %}d{% endif %}",
    "{{ 'y' if t else 'n' }}|{{ 'y' if n }}|{{ 1 if 0 else 2 if 0 else 3 }}",
    "{{ t and 'x' }}|{{ n or 'dflt' }}|{{ not n }}|{{ not t and t or 'z' }}",
    // loops
    "{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}"
    "{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}",
    "{% for x in xs %}{{ loop.previtem }}<{{ x }}>{{ loop.nextitem }} {% endfor %}",
    "{% for x in xs if x > 1 %}{{ x }}{{ loop.length }}{% else %}none{% endfor %}|"
    "{% for x in empty %}{{ x }}{% else %}empty{% endfor %}",
    "{% for k, v in d.items() %}{{ k }}={{ v }},{% endfor %}|{% for k in d %}{{ k }}{% endfor %}",
    "{% for a, b in [(1, 2), (3, 4)] %}{{ a + b }}{% endfor %}|{% for c in 'héj' %}[{{ c }}]{% "
    "endfor %}",
    "{% for x in xs %}{{ loop.cycle('odd', 'even') }}{% endfor %}",
    "{% for x in xs %}{% if x == 1 %}{% continue %}{% endif %}{% if x == 2 %}{% break %}{% endif %}"
    "{{ x }}{% endfor %}",
    "{% for u in users %}{% for t in u.tags | default([]) %}{{ loop.index }}{{ t }}{% endfor %}"
    "{{ loop.index }}{% endfor %}",
    "{% for x in xs | sort %}{{ x }}{% endfor %}|{% for x in xs | reverse %}{{ x }}{% endfor %}",
    // scoping
    "{% set x = 0 %}{% for i in xs %}{{ x }}{% set x = x + i %}{{ x }},{% endfor %}{{ x }}",
    "{% set ns = namespace(total=0, found=false) %}{% for i in xs %}{% set ns.total = ns.total + i "
    "%}"
    "{% if i == 1 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.total }}{{ ns.found }}",
    "{% set ns = namespace() %}{% set ns.items = [] %}{{ ns.items }}{{ ns.missing is defined }}",
    "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c = 1, 2 %}{{ c }}",
    "{% set block %}  inner {{ xs | length }}  {% endset %}[{{ block }}]",
    "{% set ns = namespace(v='') %}{% set ns.v %}captured{% endset %}{{ ns.v }}",
    "{% set trimmed | trim | upper %}  text  {% endset %}[{{ trimmed }}]",
    // macros and call blocks
    "{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}"
    "{{ greet('Ann') }}|{{ greet('Bob', greeting='Hi') }}|{{ greet() }}",
    "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k='v') }}",
    "{% macro outer() %}[{{ caller() }}]{% endmacro %}{% call outer() %}body {{ xs[0] }}{% endcall "
    "%}",
    "{% macro rec(n) %}{{ n }}{% if n > 0 %}{{ rec(n - 1) }}{% endif %}{% endmacro %}{{ rec(3) }}",
    "{% set g = 'global' %}{% macro show() %}{{ g }}{% endmacro %}{% set g = 'late' %}{{ show() }}",
    "{% filter upper %}shout {{ 'this' }}{% endfilter %}",
    // operators
    "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 2 ** 10 "
    "}} "
    "{{ 2 ** -1 }} {{ 2 ** 3 ** 2 }}",
    "{{ 'ab' * 3 }}|{{ [1] * 3 }}|{{ xs + [9] }}|{{ 'a' ~ 1 ~ none ~ t }}|{{ 1 + 2 * 3 - 4 }}|{{ "
    "-i }}",
    "{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 == 1.0 }} "
    "{{ t == 1 }} {{ 'a' != 'b' }}",
    "{{ 2 in xs }} {{ 5 not in xs }} {{ 'ell' in 'hello' }} {{ 'a' in d }} {{ 'x' in undefined_v "
    "}}",
    "{{ xs[0] }}{{ xs[-1] }}{{ xs.1 }}{{ d['b'] }}{{ d.b }}{{ d['items'] }}{{ nested.a.b[2].c }}",
    "{{ xs[1:] }}{{ xs[:-1] }}{{ xs[::-1] }}{{ xs[::2] }}{{ xs[5:] }}{{ xs[-10:2] }}{{ "
    "'héllo'[1:3] }}"
    "{{ 'abc'[::-1] }}{{ xs[n:1] }}",
    "{{ (xs | length) + 1 }}|{{ -1 | abs }}|{{ 'a' + 'b' | upper }}",
    "{{ 1 + 'a' }}",
    "{{ 1 / 0 }}",
    "{{ d.items is callable }}{{ d.get is defined }}{{ d.nosuch is defined }}",
    "{{ undefined_v.attr }}",
    "{{ undefined_v + 1 }}",
    "{{ 'a' < 1 }}",
    // filters
    "{{ s | trim }}|{{ s | upper }}|{{ s | lower }}|{{ 'hello wORLD-foo(bar' | title }}|"
    "{{ 'hELLO' | capitalize }}|{{ '--x--' | trim('-') }}",
    "{{ xs | length }}{{ 'héllo' | length }}{{ d | count }}{{ undefined_v | length }}|{{ xs | "
    "first }}"
    "{{ xs | last }}{{ empty | first }}|{{ names | join(', ') }}|{{ users | join('/', "
    "attribute='name') }}",
    "{{ n | default('x') }}|{{ undefined_v | default('x') }}|{{ '' | default('e', true) }}|"
    "{{ undefined_v | d('dd') }}|{{ 0 | default(5, boolean=true) }}",
    "{{ 'aXbXc' | replace('X', '-') }}|{{ 'aaa' | replace('a', 'b', 2) }}|{{ 'hi' | list }}|"
    "{{ d | list }}|{{ 12 | string }}|{{ none | string }}|{{ [1, 'a'] | string }}",
    "{{ '42' | int }} {{ '3.9' | int }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ 3.9 | int }} {{ "
    "num_str | int + 1 }} "
    "{{ float_str | float }} {{ 'bad' | float }} {{ 2 | float }} {{ true | int }}",
    "{{ 2.5 | round }} {{ 3.5 | round }} {{ 2.675 | round(2) }} {{ 7 | round }} {{ 1.4 | round(0, "
    "'ceil') }} "
    "{{ 1.6 | round(0, 'floor') }}",
    "{{ d | items | list }}|{{ d | dictsort }}|{{ d | dictsort(reverse=true) }}|"
    "{{ {'B': 1, 'a': 2} | dictsort }}|{{ {'B': 1, 'a': 2} | dictsort(true) }}",
    "{{ users | selectattr('tags') | map(attribute='name') | list }}|"
    "{{ users | rejectattr('tags') | map(attribute='name') | join }}|"
    "{{ users | selectattr('age', 'gt', 26) | map(attribute='age') | list }}|"
    "{{ users | selectattr('name', 'equalto', 'bob') | list | length }}",
    "{{ xs | select('odd') | list }}|{{ xs | reject('odd') | list }}|{{ names | map('upper') | "
    "list }}|"
    "{{ [1, none, 2] | select | list }}|{{ users | map(attribute='tags', default='-') | list }}",
    "{{ names | unique | list }}|{{ names | unique(case_sensitive=true) | list }}|{{ names | sort "
    "}}|"
    "{{ names | sort(case_sensitive=true) }}|{{ names | sort(reverse=true) }}|"
    "{{ users | sort(attribute='age') | map(attribute='name') | join }}",
    "{{ xs | reverse | list }}|{{ 'abc' | reverse }}|{{ xs | sum }}|{{ users | "
    "sum(attribute='age') }}|"
    "{{ xs | min }}{{ xs | max }}|{{ names | min }}|{{ names | max }}",
    "{{ msg | tojson }}|{{ {'é': 'ü', 'n': none, 'b': false, 'f': 1.0} | tojson }}|"
    "{{ {'é': 'ü'} | tojson(ensure_ascii=True) }}|{{ xs | tojson(indent=2) }}|{{ msg | "
    "tojson(indent=4) }}|"
    "{{ d | tojson(sort_keys=true) }}|{{ [] | tojson(indent=2) }}|{{ 'x<y>&\\'' | tojson }}|{{ "
    "'a\\u2028\\x01' | tojson }}",
    "{{ nested | tojson(separators=(',', ':')) }}|{{ (1, 2) | tojson }}|{{ 1e16 | tojson }}|{{ "
    "2.5e-8 | tojson }}",
    "{{ xs | map('string') | tojson }}",
    "{{ undefined_v | tojson }}",
    "{{ text | indent }}|{{ text | indent(2, true) }}|{{ text | indent('> ', first=true, "
    "blank=true) }}",
    "{{ 'one two  three-four' | wordcount }}|{{ xs | batch(2) | list }}|{{ xs | batch(2, 0) | list "
    "}}|"
    "{{ '<b>&' | escape }}|{{ '<b>' | safe }}|{{ ('<b>' | safe) + '<i>' }}|{{ 'x' | center(7) }}|"
    "{{ '%s=%d' | format('a', 3) }}",
    "{{ names | map('lower') | unique | list | length }}|{{ (names | select('lower')) is iterable "
    "}}",
    "{% if users | selectattr('age', 'gt', 100) %}generator is truthy{% endif %}",
    "{{ xs | map('string') | length }}",
    "{{ xs | nosuchfilter }}",
    "{% if t %}{{ xs | nosuchfilter }}{% endif %}",
    "{% if n %}{{ xs | nosuchfilter }}{% endif %}ok",
    // tests
    "{{ xs is defined }}{{ undefined_v is defined }}{{ undefined_v is undefined }}{{ n is none }}"
    "{{ n is not none }}{{ t is boolean }}{{ t is true }}{{ t is false }}{{ 0 is false }}",
    "{{ 's' is string }}{{ 1 is string }}{{ 1 is number }}{{ 1.5 is number }}{{ t is number }}"
    "{{ 1 is integer }}{{ t is integer }}{{ 1.5 is float }}{{ 1 is float }}",
    "{{ d is mapping }}{{ xs is mapping }}{{ xs is iterable }}{{ 's' is iterable }}{{ 1 is "
    "iterable }}"
    "{{ d is iterable }}{{ xs is sequence }}{{ 's' is sequence }}{{ d is sequence }}{{ undefined_v "
    "is sequence }}",
    "{{ 3 is odd }}{{ 3 is even }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(4) }}{{ 1 is eq 1 }}"
    "{{ 1 is equalto 2 }}{{ 1 is ne 2 }}{{ 2 is in xs }}{{ n is sameas none }}{{ t is sameas true "
    "}}",
    "{{ 'abc' is lower }}{{ 'ABC' is upper }}{{ range is callable }}{{ xs is callable }}"
    "{{ 1 is gt 0 }}{{ 1 is lt 0 }}{{ 1 is ge 1 }}{{ 1 is le 0 }}{{ 'upper' is filter }}{{ 'odd' "
    "is test }}",
    "{{ xs is nosuchtest }}",
    // string methods
    "{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ 'xxhixx'.strip('x') }}|{{ "
    "'\\n\\nhi\\n'.lstrip('\\n') }}|"
    "{{ 'hi\\n\\n'.rstrip('\\n') }}",
    "{{ 'a,b,,c'.split(',') }}|{{ ' a  b c '.split() }}|{{ 'a,b,c'.split(',', 1) }}|{{ "
    "'a,b,c'.rsplit(',', 1) }}|"
    "{{ 'x</think>y</think>z'.split('</think>')[-1] }}|{{ '  a b  '.split(none, 1) }}|{{ "
    "text.splitlines() }}",
    "{{ 'hello'.startswith('he') }}{{ 'hello'.startswith(('x', 'h')) }}{{ 'hello'.endswith('lo') }}"
    "{{ 'hello'.endswith(('a', 'b')) }}{{ 'hello'.startswith('l', 2) }}",
    "{{ 'aaa'.replace('a', 'b') }}|{{ 'aaa'.replace('a', 'b', 1) }}|{{ 'ab'.upper() }}|{{ "
    "'AB'.lower() }}|"
    "{{ 'hello world'.title() }}|{{ \"they're\".title() }}|{{ 'hELLO'.capitalize() }}",
    "{{ 'hello'.find('l') }}{{ 'hello'.rfind('l') }}{{ 'hello'.find('z') }}{{ 'hello'.count('l') "
    "}}|"
    "{{ '-'.join(['a', 'b']) }}|{{ '12'.isdigit() }}{{ 'ab'.isalpha() }}{{ '  '.isspace() }}|"
    "{{ 'x'.ljust(3, '.') }}{{ 'x'.rjust(3) }}{{ 'x'.center(4, '*') }}|{{ '5'.zfill(3) }}|"
    "{{ 'a=b=c'.partition('=') }}|{{ 'prefix_x'.removeprefix('prefix_') }}",
    "{{ '{} and {}'.format('a', 'b') }}|{{ '{1}{0}'.format('a', 'b') }}|{{ '{x}-{y}'.format(x=1, "
    "y='z') }}|"
    "{{ '{:>5}|{:<4}|{:^5}|{:05d}|{:.3f}|{:,}|{:x}|{!r}'.format('a', 'b', 'c', 42, 3.14159, "
    "1234567, 255, 'q') }}|"
    "{{ '{{literal}}'.format() }}|{{ '{}'.format(undefined_v) }}",
    "{{ uni[1:3] }}|{{ uni | length }}|{{ uni[::-1] }}|{{ uni.upper() }}|{{ 'ÉCOLE'.lower() }}|{{ "
    "'straße'.upper() }}",
    // dict and list methods
    "{{ d.get('a') }}{{ d.get('zz') }}{{ d.get('zz', 'dflt') }}|{{ d.keys() | list }}|{{ "
    "d.values() | list }}|"
    "{{ d.items() | list }}|{{ d.items() | length }}",
    "{% set l = [1] %}{% set _ = l.append(2) %}{% set _ = l.extend([3, 4]) %}{{ l }}|{{ l.pop() "
    "}}{{ l.pop(0) }}"
    "{{ l }}|{{ l.index(3) }}{{ l.count(2) }}{% set _ = l.insert(0, 9) %}{{ l }}",
    "{% set dd = {'a': 1} %}{% set _ = dd.update({'b': 2}) %}{{ dd }}|{{ dd.pop('a') }}{{ dd }}|"
    "{{ dd.setdefault('c', 3) }}{{ dd }}",
    "{{ d.items() }}",
    "{{ d.items() | tojson }}",
    // globals
    "{{ range(3) | list }}|{{ range(1, 7, 2) | list }}|{{ range(5, 0, -2) | list }}|"
    "{% for i in range(2) %}{{ i }}{% endfor %}|{{ dict(a=1, b='x') }}|{{ namespace(a=1).a }}",
    "{{ raise_exception('custom failure') }}",
    "{{ strftime_now('%Y-%m-%d %H:%M %A %B %d %j') }}",
    "{% set c = cycler('a', 'b') %}{{ c.next() }}{{ c.next() }}{{ c.next() }}|"
    "{% set j = joiner('+') %}{{ j() }}x{{ j() }}y{{ j() }}",
    // syntax errors
    "{% if t %}unterminated",
    "{% for x in xs %}{% endif %}",
    "{{ xs[ }}",
    "{% generation %}kept{% endgeneration %}",
    "{% unknowntag %}",
    "{{ 'unterminated }}",
    "{% macro m() %}{{ caller() }}{% endmacro %}{{ m() }}",
    "{{ m(1, 2) }}{% macro m(a) %}{% endmacro %}",
    "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}",
};

std::tm fixed_now() {
  std::tm tm{};
  tm.tm_year = 2025 - 1900;
  tm.tm_mon = 2;
  tm.tm_mday = 4;
  tm.tm_hour = 5;
  tm.tm_min = 6;
  tm.tm_sec = 7;
  mktime(&tm);
  return tm;
}

TEST(JinjaFeatures, MatchJinja2CaseByCase) {
  bj::object ctx = bj::parse(kContext).as_object();
  bj::array jobs;
  for (const char* src : kCases) {
    bj::object c = ctx;
    c["__now__"] = test::kOracleNow;
    jobs.push_back(bj::object{{"source", src}, {"context", c}});
  }
  std::string error;
  auto oracle = test::run_oracle(jobs, error);
  ASSERT_TRUE(oracle) << error;
  jinja::RenderConfig config;
  config.now = fixed_now;
  int rendered = 0;
  for (size_t i = 0; i < std::size(kCases); ++i) {
    const auto& want = (*oracle)[i];
    bool ok = false;
    std::string got;
    try {
      got = jinja::Template(kCases[i]).render(ctx, config);
      ok = true;
    } catch (const jinja::TemplateError& e) {
      got = e.what();
    }
    rendered += want.ok;
    if (want.ok) {
      EXPECT_TRUE(ok) << "template: " << kCases[i] << "\n  jinja2: " << want.out
                      << "\n  hydra failed: " << got;
      if (ok) {
        EXPECT_EQ(got, want.out) << "template: " << kCases[i];
      }
    } else {
      EXPECT_FALSE(ok) << "template: " << kCases[i] << "\n  jinja2 failed: " << want.out
                       << "\n  hydra rendered: " << got;
    }
  }
  EXPECT_GT(rendered, static_cast<int>(std::size(kCases)) * 3 / 4);
}

}  // namespace
}  // namespace hydra::engine
