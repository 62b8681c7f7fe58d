// Expected outputs follow Go's text/template with map data (missingkey
// default): trimming removes every blank (space, tab, CR, LF) next to a
// "{{- " or " -}}" marker, a missing key prints "<no value>", lists print
// as [a b], maps as map[k:v] in key order.
#include "deploy/go_template.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "common/error.h"

namespace hydra::deploy {
namespace {

namespace bj = boost::json;

bj::value data() {
  return bj::parse(R"({
    "RUN_TIME": "vllm", "MODEL_NAME": "qwen2-0.5b", "MODEL_PATH": "/data/serving-model",
    "IS_DISTRIBUTED": false, "IS_LEADER": false, "TP_SIZE": 1, "PP_SIZE": 1,
    "MODEL_ID": "qwen2-0.5b-instruct", "CLUSTER": "local", "NAMESPACE": "default",
    "MODEL_HOST": "0.0.0.0", "MODEL_PORT": 8000,
    "CUSTOM_ARGS": ["--max-model-len=4096", "--enforce-eager"],
    "EMPTY": [], "M": {"b": 2, "a": 1}, "F": 1.5, "BIG": 1000000.0, "S": "x y"
  })");
}

std::string render(const std::string& t, const bj::value& d = data()) {
  return render_go_template(t, d);
}

// The vllm-cpu runtime of the DaoCloud Hydra manual ("添加 vllm-cpu 运行时
// 模版示例"), as the YAML block scalar `|-` hands it to the renderer.
const char* kVllmCpu =
    "{{- if .IS_DISTRIBUTED -}}\n"
    "  {{- if .IS_LEADER -}}\n"
    "    ray start --head --port={{ .RAY_PORT }} && vllm serve {{ .MODEL_PATH }} "
    "--served-model-name {{ .MODEL_NAME }} --trust-remote-code --tensor-parallel-size={{ .TP_SIZE "
    "}} --pipeline-parallel-size={{ .PP_SIZE }}\n"
    "  {{- else -}}\n"
    "    ray start --block --address=$(LWS_LEADER_ADDRESS):{{ .RAY_PORT }}\n"
    "  {{- end -}}\n"
    "{{- else -}}\n"
    "  vllm serve {{ .MODEL_PATH }} --served-model-name {{ .MODEL_NAME }} --trust-remote-code {{- "
    "if gt .TP_SIZE 1 }} --tensor-parallel-size {{ .TP_SIZE }} {{- end -}}\n"
    "{{- end -}}\n"
    "{{- if .CUSTOM_ARGS -}} {{ range .CUSTOM_ARGS }} {{ . }} {{- end -}} {{- end -}}";

TEST(GoTemplate, VllmCpuSingleNode) {
  EXPECT_EQ(render(kVllmCpu),
            "vllm serve /data/serving-model --served-model-name qwen2-0.5b --trust-remote-code "
            "--max-model-len=4096 --enforce-eager");
}

TEST(GoTemplate, VllmCpuTensorParallelWithoutCustomArgs) {
  bj::value d = data();
  d.as_object()["TP_SIZE"] = 2;
  d.as_object()["CUSTOM_ARGS"] = bj::array{};
  EXPECT_EQ(render(kVllmCpu, d),
            "vllm serve /data/serving-model --served-model-name qwen2-0.5b --trust-remote-code "
            "--tensor-parallel-size 2");
}

TEST(GoTemplate, VllmCpuDistributedLeaderAndWorker) {
  bj::value d = data();
  d.as_object()["IS_DISTRIBUTED"] = true;
  d.as_object()["IS_LEADER"] = true;
  d.as_object()["RAY_PORT"] = 6379;
  d.as_object()["TP_SIZE"] = 4;
  d.as_object()["PP_SIZE"] = 2;
  EXPECT_EQ(render(kVllmCpu, d),
            "ray start --head --port=6379 && vllm serve /data/serving-model --served-model-name "
            "qwen2-0.5b --trust-remote-code --tensor-parallel-size=4 "
            "--pipeline-parallel-size=2 --max-model-len=4096 --enforce-eager");
  d.as_object()["IS_LEADER"] = false;
  EXPECT_EQ(render(kVllmCpu, d),
            "ray start --block --address=$(LWS_LEADER_ADDRESS):6379 --max-model-len=4096 "
            "--enforce-eager");
  // RAY_PORT is not one of the variables the platform supplies: Go prints "<no value>".
  d.as_object().erase("RAY_PORT");
  d.as_object()["CUSTOM_ARGS"] = nullptr;
  EXPECT_EQ(render(kVllmCpu, d), "ray start --block --address=$(LWS_LEADER_ADDRESS):<no value>");
}

struct Case {
  const char* name;
  const char* tmpl;
  const char* want;
};

const Case kCases[] = {
    {"plain text", "hello", "hello"},
    {"variable", "--port={{ .MODEL_PORT }}", "--port=8000"},
    {"no spaces inside", "{{.MODEL_NAME}}", "qwen2-0.5b"},
    {"missing key", "[{{ .NOPE }}]", "[<no value>]"},
    {"missing key chain", "[{{ .NOPE.DEEPER }}]", "[<no value>]"},
    {"trim left", "a  \n\t {{- .S }}", "ax y"},
    {"trim right", "{{ .S -}} \n  b", "x yb"},
    {"trim both keeps inner", "a {{- \" \" -}} b", "a b"},
    {"minus number is not trim", "{{-3}}", "-3"},
    {"comment", "a{{/* note */}}b", "ab"},
    {"trimmed comment", "a \n{{- /* note */ -}}\n b", "ab"},
    {"if else", "{{ if .IS_LEADER }}L{{ else }}W{{ end }}", "W"},
    {"else if chain",
     "{{ if eq .RUN_TIME \"sglang\" }}s{{ else if eq .RUN_TIME \"vllm\" }}v{{ else }}o{{ end }}",
     "v"},
    {"eq many", "{{ if eq .RUN_TIME \"a\" \"b\" \"vllm\" }}yes{{ end }}", "yes"},
    {"ne lt le gt ge",
     "{{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt .TP_SIZE 1 }} {{ ge .TP_SIZE 1 }}",
     "true true true false true"},
    {"string order", "{{ lt \"abc\" \"abd\" }}", "true"},
    {"and or not", "{{ and 1 0 }} {{ or 0 \"\" \"x\" }} {{ not .EMPTY }} {{ and 1 2 }}",
     "0 x true 2"},
    {"or returns last", "[{{ or 0 \"\" }}]", "[]"},
    {"range list", "{{ range .CUSTOM_ARGS }}<{{ . }}>{{ end }}",
     "<--max-model-len=4096><--enforce-eager>"},
    {"range index", "{{ range $i, $a := .CUSTOM_ARGS }}{{ $i }}={{ $a }};{{ end }}",
     "0=--max-model-len=4096;1=--enforce-eager;"},
    {"range map sorted", "{{ range $k, $v := .M }}{{ $k }}:{{ $v }} {{ end }}", "a:1 b:2 "},
    {"range else", "{{ range .EMPTY }}x{{ else }}none{{ end }}", "none"},
    {"range missing is empty", "{{ range .NOPE }}x{{ else }}none{{ end }}", "none"},
    {"range int", "{{ range 3 }}{{ . }}{{ end }}", "012"},
    {"break continue",
     "{{ range $i, $e := .CUSTOM_ARGS }}{{ if eq $i 0 }}{{ continue }}{{ end }}{{ $e }}{{ break "
     "}}{{ end }}",
     "--enforce-eager"},
    {"with", "{{ with .M }}{{ .a }}{{ end }}", "1"},
    {"with else", "{{ with .NOPE }}x{{ else }}{{ .S }}{{ end }}", "x y"},
    {"else with", "{{ with .NOPE }}x{{ else with .M }}{{ .b }}{{ end }}", "2"},
    {"variables", "{{ $p := .MODEL_PORT }}{{ $p }}-{{ $p = 9 }}{{ $p }}", "8000-9"},
    {"root variable in range", "{{ range .CUSTOM_ARGS }}{{ $.MODEL_NAME }} {{ end }}",
     "qwen2-0.5b qwen2-0.5b "},
    {"variable scope ends", "{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}",
     "21"},
    {"assignment reaches outer", "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}", "2"},
    {"pipeline", "{{ .MODEL_PORT | printf \"%d-x\" }}", "8000-x"},
    {"pipeline chain", "{{ \"a\" | printf \"%s%s\" \"b\" | len }}", "2"},
    {"parenthesised", "{{ (printf \"%d\" 5) }} {{ len (index .CUSTOM_ARGS 1) }}", "5 15"},
    {"printf verbs",
     "{{ printf \"%s|%5d|%-4s|%q|%v|%.2f|%x|%t|%%\" .S 42 \"ab\" \"q\" .CUSTOM_ARGS .F 255 true }}",
     "x y|   42|ab  |\"q\"|[--max-model-len=4096 --enforce-eager]|1.50|ff|true|%"},
    {"printf mistakes", "{{ printf \"%d %s\" \"x\" }}", "%!d(string=x) %!s(MISSING)"},
    {"print", "{{ print 1 2 \"a\" 3 }}", "1 2a3"},
    {"println", "{{ println \"a\" 1 }}", "a 1\n"},
    {"len", "{{ len .CUSTOM_ARGS }} {{ len .M }} {{ len .S }}", "2 2 3"},
    {"index", "{{ index .CUSTOM_ARGS 0 }} {{ index .M \"b\" }}", "--max-model-len=4096 2"},
    {"print list and map", "{{ .CUSTOM_ARGS }} {{ .M }}",
     "[--max-model-len=4096 --enforce-eager] map[a:1 b:2]"},
    {"floats as Go prints them", "{{ .F }} {{ .BIG }} {{ 0.00001 }} {{ 123456.0 }}",
     "1.5 1e+06 1e-05 123456"},
    {"bools", "{{ .IS_LEADER }} {{ true }}", "false true"},
    {"strings and escapes", "{{ \"a\\tb\" }}{{ `raw\\n` }}", "a\tbraw\\n"},
    {"char constant", "{{ 'a' }}", "97"},
    {"action spans lines", "{{ printf\n \"%s\"\n .S }}", "x y"},
    {"declaration prints nothing", "{{ $x := 5 }}.", "."},
    {"nested ifs trimmed",
     "{{- if true }}\n  {{- if false }}\n    no\n  {{- else }}\n    yes\n  {{- end }}\n{{- end }}",
     "\n    yes"},
};

TEST(GoTemplate, Cases) {
  for (const auto& c : kCases) {
    try {
      EXPECT_EQ(render(c.tmpl), c.want) << c.name;
    } catch (const std::exception& e) {
      ADD_FAILURE() << c.name << ": " << e.what();
    }
  }
}

const char* kBadTemplates[] = {
    "{{ .A ",                       // unclosed action
    "{{ if .A }}x",                 // missing end
    "{{ end }}",                    // unexpected end
    "{{ else }}",                   // unexpected else
    "{{ nosuchfunc 1 }}",           // unknown function
    "{{ $x }}",                     // undefined variable
    "{{ break }}",                  // outside range
    "{{ \"abc }}",                  // unterminated string
    "{{/* open }}",                 // unclosed comment
    "{{ define \"x\" }}{{ end }}",  // nested templates refused
    "{{ }}",                        // missing command
    "{{ nil }}",                    // nil is not a command
    "{{ 1abc }}",                   // bad number
    "{{ .A | }}",                   // empty command after pipe
    "{{ ( .A }}",                   // unbalanced parenthesis
};

TEST(GoTemplate, SyntaxErrorsAreParamErrors) {
  for (const char* t : kBadTemplates) {
    try {
      GoTemplate::parse(t);
      ADD_FAILURE() << "accepted: " << t;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.code(), ErrorCode::kParamError) << t;
    }
  }
}

const char* kBadExecutions[] = {
    "{{ gt .S 1 }}",               // incompatible types
    "{{ lt .NOPE 1 }}",            // no value cannot be ordered
    "{{ gt .F 1 }}",               // float64 against int, as Go refuses
    "{{ index .CUSTOM_ARGS 5 }}",  // out of range
    "{{ .S.X }}",                  // field of a string
    "{{ len 3 }}",                 // len of int
    "{{ .S 1 }}",                  // argument to a non-function
    "{{ range .S }}{{ end }}",     // cannot range over a string
};

TEST(GoTemplate, ExecutionErrorsAreParamErrors) {
  for (const char* t : kBadExecutions) {
    try {
      render(t);
      ADD_FAILURE() << "rendered: " << t;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.code(), ErrorCode::kParamError) << t;
    }
  }
}

TEST(GoTemplate, EqWithNoValueIsFalseNotAnError) {
  EXPECT_EQ(render("{{ eq .NOPE \"x\" }} {{ ne .NOPE 1 }}"), "false true");
}

TEST(GoTemplate, DeepNestingIsRefused) {
  std::string t;
  for (int i = 0; i < 500; ++i) t += "{{ if true }}";
  EXPECT_THROW(GoTemplate::parse(t), ApiError);
  std::string parens = "{{ " + std::string(500, '(') + "1" + std::string(500, ')') + " }}";
  EXPECT_THROW(GoTemplate::parse(parens), ApiError);
}

TEST(GoTemplate, OutputIsBounded) {
  bj::value d = bj::parse(R"({"L": [1,2,3,4,5,6,7,8,9,10]})");
  std::string t =
      "{{ range .L }}{{ range $.L }}{{ range $.L }}{{ range $.L }}{{ range $.L }}"
      "{{ range $.L }}xxxxxxxxxx{{ end }}{{ end }}{{ end }}{{ end }}{{ end }}{{ end }}";
  EXPECT_THROW(render(t, d), ApiError);
}

TEST(GoTemplate, ParsedOnceRenderedMany) {
  GoTemplate t = GoTemplate::parse("{{ .A }}");
  EXPECT_EQ(t.render(bj::parse(R"({"A": 1})")), "1");
  EXPECT_EQ(t.render(bj::parse(R"({"A": "two"})")), "two");
}

}  // namespace
}  // namespace hydra::deploy
