#include "engine/format/tokenizer_config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "engine/format/format_error.h"
#include "temp_dir.h"

using namespace hydra::engine;

TEST(TokenizerConfig, StringAndAddedTokenForms) {
  const TokenizerConfig c = parse_tokenizer_config(R"({
    "add_bos_token": true, "add_eos_token": false,
    "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false},
    "eos_token": "</s>", "unk_token": null, "pad_token": "<unk>",
    "chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}",
    "model_max_length": 1000000000000000019884624838656, "tokenizer_class": "LlamaTokenizer"})");
  EXPECT_EQ(c.bos_token, "<s>");
  EXPECT_EQ(c.eos_token, "</s>");
  EXPECT_EQ(c.unk_token, "");
  EXPECT_EQ(c.pad_token, "<unk>");
  EXPECT_EQ(c.add_bos_token, true);
  EXPECT_EQ(c.add_eos_token, false);
  EXPECT_EQ(c.chat_template, "{% for m in messages %}{{ m.content }}{% endfor %}");
  EXPECT_EQ(c.model_max_length, 0);  // the "no limit" sentinel
  EXPECT_EQ(c.tokenizer_class, "LlamaTokenizer");
}

TEST(TokenizerConfig, NamedTemplates) {
  const TokenizerConfig c = parse_tokenizer_config(R"({"chat_template": [
    {"name": "default", "template": "D"}, {"name": "tool_use", "template": "T"}],
    "model_max_length": 8192})");
  EXPECT_EQ(c.chat_template, "D");
  EXPECT_EQ(c.named_templates.at("tool_use"), "T");
  EXPECT_EQ(c.model_max_length, 8192);
  EXPECT_FALSE(c.add_bos_token.has_value());
}

TEST(TokenizerConfig, BadShapesAreErrors) {
  EXPECT_THROW(parse_tokenizer_config(R"({"bos_token": 5})"), FormatError);
  EXPECT_THROW(parse_tokenizer_config(R"({"add_bos_token": "yes"})"), FormatError);
  EXPECT_THROW(parse_tokenizer_config(R"({"chat_template": [{"name": "x"}]})"), FormatError);
  EXPECT_THROW(parse_tokenizer_config(R"({"chat_template": 3})"), FormatError);
  EXPECT_THROW(parse_tokenizer_config("nope"), FormatError);
}

TEST(TokenizerConfig, TemplateFromSiblingJinjaFile) {
  hydra::engine::test::TempDir dir;
  std::ofstream(dir.file("tokenizer_config.json")) << R"({"eos_token": "<|im_end|>"})";
  std::ofstream(dir.file("chat_template.jinja")) << "{{ messages[0].content }}\n";
  const TokenizerConfig c = read_tokenizer_config(dir.file("tokenizer_config.json"));
  EXPECT_EQ(c.chat_template, "{{ messages[0].content }}\n");
  EXPECT_EQ(c.eos_token, "<|im_end|>");
  EXPECT_THROW(read_tokenizer_config(dir.file("missing.json")), FormatError);
}
