// Streaming detokenization: every emitted chunk is valid UTF-8 and the
// chunks add up to the whole text.
#include "engine/tokenizer/stream_decoder.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "engine/tokenizer/unicode.h"
#include "vocab_files.h"

namespace hydra::engine {
namespace {

using testing::tokenizer_for;
using testing::vocab_names;

bool valid_utf8(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0; i < s.size();) {
    Utf8Step step = utf8_step(p + i, s.size() - i);
    if (step.status != Utf8Status::kComplete) return false;
    i += step.length;
  }
  return true;
}

const char* kMultibyte =
    "我想在apple工作 🦙🚀 😶\u200d🌫️ нещо на Български Cửa Việt ✅ "
    "1314151天～ "
    "កាន់តែពិសេសអាច 😁";

TEST(StreamDecoder, EmitsOnlyCompleteCharactersAndReassemblesText) {
  size_t held_back = 0;
  for (const std::string& name : vocab_names()) {
    const Tokenizer& tok = tokenizer_for(name);
    auto ids = tok.encode(kMultibyte, {.add_special = true, .parse_special = false});
    StreamDecoder stream(tok);
    std::string joined;
    for (int32_t id : ids) {
      std::string chunk = stream.push(id);
      EXPECT_TRUE(valid_utf8(chunk)) << name << " token " << id;
      held_back += stream.pending() > 0 ? 1 : 0;
      joined += chunk;
    }
    std::string rest = stream.flush();
    EXPECT_TRUE(rest.empty()) << name;
    EXPECT_TRUE(valid_utf8(joined)) << name;
    EXPECT_EQ(joined, tok.decode(ids)) << name;
    if (tok.kind() != TokenizerKind::kWordPiece) {
      EXPECT_EQ(joined, kMultibyte) << name;
    }
  }
  // Byte-level vocabularies split emoji across tokens, so bytes were held.
  EXPECT_GT(held_back, 0u);
}

TEST(StreamDecoder, HoldsPartialBytesThenReleasesThem) {
  const Tokenizer& tok = tokenizer_for("gpt-2");
  // "🦙" is three tokens in GPT-2: F0 9F A6 | 99 ... the first ones are partial.
  auto ids = tok.encode("🦙", {.add_special = false});
  ASSERT_GE(ids.size(), 2u);
  StreamDecoder stream(tok);
  std::string out;
  for (size_t i = 0; i + 1 < ids.size(); ++i) {
    EXPECT_EQ(stream.push(ids[i]), "");
  }
  EXPECT_GT(stream.pending(), 0u);
  EXPECT_EQ(stream.push(ids.back()), "🦙");
  EXPECT_EQ(stream.pending(), 0u);
}

TEST(StreamDecoder, BrokenSequencesBecomeReplacementCharacters) {
  const Tokenizer& tok = tokenizer_for("llama-spm");
  // <0xE6> <0x88> then 'A': the lead byte never completes.
  int32_t e6 = tok.token_id("<0xE6>"), x88 = tok.token_id("<0x88>");
  int32_t a = tok.token_id("A");
  ASSERT_GE(e6, 0);
  ASSERT_GE(x88, 0);
  ASSERT_GE(a, 0);
  StreamDecoder stream(tok);
  EXPECT_EQ(stream.push(e6), "");
  EXPECT_EQ(stream.push(x88), "");
  EXPECT_EQ(stream.push(a),
            "\xEF\xBF\xBD"
            "A");
  // A lone lead byte at the end is replaced on flush.
  EXPECT_EQ(stream.push(e6), "");
  EXPECT_EQ(stream.flush(), "\xEF\xBF\xBD");
}

TEST(Decode, SentencePieceBytesAndSpaces) {
  const Tokenizer& tok = tokenizer_for("llama-spm");
  auto ids = tok.encode(" Hello  world \xF0\x9F\xA6\x99", {.add_special = false});
  EXPECT_EQ(tok.decode(ids), " Hello  world \xF0\x9F\xA6\x99");
  // The emoji has no token of its own: byte fallback.
  EXPECT_EQ(tok.token_type(ids.back()), TokenType::kByte);
}

TEST(Decode, WordPieceJoinsContinuations) {
  const Tokenizer& tok = tokenizer_for("bert-bge");
  auto ids = tok.encode("Tokenization isn't trivial", {.add_special = false});
  // "tokenization" is split into a word start and "##" continuations.
  EXPECT_GT(ids.size(), 5u);
  EXPECT_EQ(tok.decode(ids), "tokenization isn ' t trivial");
}

TEST(Decode, OutOfRangeIdIsAParamError) {
  const Tokenizer& tok = tokenizer_for("gpt-2");
  std::vector<int32_t> bad{15496, 999999};
  try {
    tok.decode(bad);
    FAIL() << "expected an error";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kParamError);
    EXPECT_NE(std::string(e.what()).find("999999"), std::string::npos);
  }
  StreamDecoder stream(tok);
  EXPECT_THROW(stream.push(-1), ApiError);
}

}  // namespace
}  // namespace hydra::engine
