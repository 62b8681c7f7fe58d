#include "engine/server/response_shape.h"

#include "common/clock.h"
#include "common/random.h"
#include "engine/chat/tool_call_stream.h"

namespace hydra::engine {

namespace bj = boost::json;

boost::json::object Usage::to_json() const {
  return {{"prompt_tokens", prompt_tokens},
          {"completion_tokens", completion_tokens},
          {"total_tokens", prompt_tokens + completion_tokens}};
}

ResponseShape::ResponseShape(std::string id, std::string model, const Tokenizer& tokenizer, int n)
    : id_(std::move(id)),
      model_(std::move(model)),
      created_(now_ms() / 1000),
      tokenizer_(tokenizer),
      choices_(static_cast<size_t>(n)) {}

std::vector<bj::object> ResponseShape::on_event(const TokenEvent& ev) {
  ChoiceState& c = choices_.at(static_cast<size_t>(ev.choice));
  c.text += ev.text;
  if (ev.token >= 0) c.tokens.push_back(ev.token);
  if (ev.logprobs) c.logprobs.push_back(*ev.logprobs);
  if (ev.finished) {
    c.finished = true;
    c.finish_reason = ev.finish_reason;
  }
  return chunks_for(ev, c);
}

int64_t ResponseShape::completion_tokens() const {
  int64_t n = 0;
  for (const auto& c : choices_) n += static_cast<int64_t>(c.tokens.size());
  return n;
}

bj::object ResponseShape::chunk_envelope(const char* object) const {
  return {{"id", id_}, {"object", object}, {"created", created_}, {"model", model_}};
}

bj::object ResponseShape::usage_chunk(const Usage& usage) const {
  bj::object o = chunk_envelope(chunk_object());
  o["choices"] = bj::array();
  o["usage"] = usage.to_json();
  return o;
}

namespace {

bj::array byte_list(const std::string& s) {
  bj::array a;
  for (unsigned char ch : s) a.push_back(ch);
  return a;
}

// OpenAI reports a finish that is not stop/length/tool_calls as "stop".
std::string openai_reason(const std::string& r) {
  return r == "length" || r == "tool_calls" ? r : "stop";
}

class ChatShape : public ResponseShape {
 public:
  ChatShape(std::string model, const Tokenizer& tok, int n, chat::ToolCallFormat format)
      : ResponseShape("chatcmpl-" + random_hex(12), std::move(model), tok, n), format_(format) {}

  std::vector<bj::object> stream_start() override {
    std::vector<bj::object> out;
    for (size_t i = 0; i < choices_.size(); ++i) {
      bj::object delta{{"role", "assistant"}, {"content", ""}};
      out.push_back(chunk(i, std::move(delta), nullptr, nullptr));
    }
    return out;
  }

  bj::object final_body(const Usage& usage) const override {
    bj::object o{
        {"id", id_}, {"object", "chat.completion"}, {"created", created_}, {"model", model_}};
    bj::array choices;
    for (size_t i = 0; i < choices_.size(); ++i) {
      const ChoiceState& c = choices_[i];
      bj::object msg{{"role", "assistant"}};
      std::string reason = openai_reason(c.finish_reason);
      chat::ParsedReply reply = parse(c.text);
      if (reply.content) {
        msg["content"] = *reply.content;
      } else {
        msg["content"] = nullptr;
      }
      if (!reply.tool_calls.empty()) {
        msg["tool_calls"] = chat::to_openai(reply.tool_calls);
        reason = "tool_calls";
      }
      bj::object choice{{"index", static_cast<int64_t>(i)},
                        {"message", std::move(msg)},
                        {"finish_reason", reason}};
      choice["logprobs"] = logprobs_json(c.logprobs);
      choices.push_back(std::move(choice));
    }
    o["choices"] = std::move(choices);
    o["usage"] = usage.to_json();
    return o;
  }

 protected:
  std::vector<bj::object> chunks_for(const TokenEvent& ev, ChoiceState& c) override {
    std::vector<bj::object> out;
    const auto index = static_cast<size_t>(ev.choice);
    bj::value lp = ev.logprobs ? logprobs_json({*ev.logprobs}) : bj::value(nullptr);
    if (format_ != chat::ToolCallFormat::kNone) return tool_chunks(ev, c, std::move(lp));
    if (ev.text.empty() && !ev.logprobs && !ev.finished) return out;
    bj::object delta;
    if (!ev.text.empty()) delta["content"] = ev.text;
    bj::value reason =
        ev.finished ? bj::value(openai_reason(ev.finish_reason)) : bj::value(nullptr);
    out.push_back(chunk(index, std::move(delta), &reason, &lp));
    return out;
  }

  const char* chunk_object() const override { return "chat.completion.chunk"; }

 private:
  // With tools: content and tool calls as the stream recognises them, one
  // chunk per content run or call piece; the finish reason on the last.
  std::vector<bj::object> tool_chunks(const TokenEvent& ev, const ChoiceState& c, bj::value lp) {
    const auto index = static_cast<size_t>(ev.choice);
    if (streams_.empty()) {
      for (size_t i = 0; i < choices_.size(); ++i) streams_.emplace_back(format_);
    }
    chat::ToolCallStream& stream = streams_.at(index);
    std::vector<chat::ToolCallPiece> pieces = stream.push(ev.text);
    if (ev.finished) {
      std::vector<chat::ToolCallPiece> rest = stream.finish();
      pieces.insert(pieces.end(), std::make_move_iterator(rest.begin()),
                    std::make_move_iterator(rest.end()));
    }
    std::vector<bj::object> out;
    for (chat::ToolCallPiece& p : pieces) {
      out.push_back(chunk(index, piece_delta(std::move(p)), nullptr, nullptr));
    }
    if (!lp.is_null()) {
      if (out.empty()) out.push_back(chunk(index, bj::object(), nullptr, nullptr));
      out.front().at("choices").at(0).as_object()["logprobs"] = std::move(lp);
    }
    if (ev.finished) {
      if (out.empty()) out.push_back(chunk(index, bj::object(), nullptr, nullptr));
      const std::string reason =
          stream.calls() > 0 ? std::string("tool_calls") : openai_reason(c.finish_reason);
      out.back().at("choices").at(0).as_object()["finish_reason"] = reason;
    }
    return out;
  }

  static bj::object piece_delta(chat::ToolCallPiece p) {
    using Kind = chat::ToolCallPiece::Kind;
    if (p.kind == Kind::kContent) return bj::object{{"content", std::move(p.text)}};
    bj::object call{{"index", p.index}};
    bj::object function;
    if (p.kind == Kind::kCallStart) {
      call["id"] = std::move(p.id);
      call["type"] = "function";
      function["name"] = std::move(p.name);
    }
    function["arguments"] = std::move(p.text);
    call["function"] = std::move(function);
    return bj::object{{"tool_calls", bj::array{std::move(call)}}};
  }

  chat::ParsedReply parse(const std::string& text) const {
    if (format_ == chat::ToolCallFormat::kNone) return {text, {}};
    return chat::parse_tool_calls(text, format_);
  }

  bj::object chunk(size_t index, bj::object delta, const bj::value* reason,
                   const bj::value* logprobs) const {
    bj::object o = chunk_envelope("chat.completion.chunk");
    bj::object choice{{"index", static_cast<int64_t>(index)}, {"delta", std::move(delta)}};
    choice["logprobs"] = logprobs ? *logprobs : bj::value(nullptr);
    choice["finish_reason"] = reason ? *reason : bj::value(nullptr);
    o["choices"] = bj::array{std::move(choice)};
    return o;
  }

  bj::object token_entry(int32_t token, float logprob) const {
    const std::string piece = tokenizer_.token_to_piece(token);
    return {{"token", piece}, {"logprob", logprob}, {"bytes", byte_list(piece)}};
  }

  bj::value logprobs_json(const std::vector<SampledToken>& tokens) const {
    if (tokens.empty()) return nullptr;
    bj::array content;
    for (const SampledToken& t : tokens) {
      bj::object e = token_entry(t.token, t.logprob);
      bj::array top;
      for (const TokenLogprob& alt : t.top) top.push_back(token_entry(alt.token, alt.logprob));
      e["top_logprobs"] = std::move(top);
      content.push_back(std::move(e));
    }
    return bj::object{{"content", std::move(content)}};
  }

  chat::ToolCallFormat format_;
  std::vector<chat::ToolCallStream> streams_;  // per choice, when streaming with tools
};

class CompletionShape : public ResponseShape {
 public:
  CompletionShape(std::string model, const Tokenizer& tok, int n)
      : ResponseShape("cmpl-" + random_hex(12), std::move(model), tok, n) {}

  bj::object final_body(const Usage& usage) const override {
    bj::object o{
        {"id", id_}, {"object", "text_completion"}, {"created", created_}, {"model", model_}};
    bj::array choices;
    for (size_t i = 0; i < choices_.size(); ++i) {
      const ChoiceState& c = choices_[i];
      bj::object choice{{"index", static_cast<int64_t>(i)},
                        {"text", c.text},
                        {"finish_reason", openai_reason(c.finish_reason)}};
      choice["logprobs"] = logprobs_json(c.logprobs, 0);
      choices.push_back(std::move(choice));
    }
    o["choices"] = std::move(choices);
    o["usage"] = usage.to_json();
    return o;
  }

 protected:
  std::vector<bj::object> chunks_for(const TokenEvent& ev, ChoiceState& c) override {
    std::vector<bj::object> out;
    if (ev.text.empty() && !ev.logprobs && !ev.finished) return out;
    bj::object o = chunk_envelope("text_completion");
    bj::object choice{{"index", ev.choice}, {"text", ev.text}};
    const size_t offset = c.text.size() - ev.text.size();
    choice["logprobs"] = ev.logprobs ? logprobs_json({*ev.logprobs}, offset) : bj::value(nullptr);
    choice["finish_reason"] =
        ev.finished ? bj::value(openai_reason(ev.finish_reason)) : bj::value(nullptr);
    o["choices"] = bj::array{std::move(choice)};
    out.push_back(std::move(o));
    return out;
  }

  const char* chunk_object() const override { return "text_completion"; }

 private:
  // The legacy shape: parallel lists, alternatives as {piece: logprob}.
  bj::value logprobs_json(const std::vector<SampledToken>& tokens, size_t offset) const {
    if (tokens.empty()) return nullptr;
    bj::array pieces, lps, tops, offsets;
    for (const SampledToken& t : tokens) {
      const std::string piece = tokenizer_.token_to_piece(t.token);
      pieces.push_back(bj::string(piece));
      lps.push_back(t.logprob);
      bj::object top;
      for (const TokenLogprob& alt : t.top) top[tokenizer_.token_to_piece(alt.token)] = alt.logprob;
      tops.push_back(std::move(top));
      offsets.push_back(offset);
      offset += piece.size();
    }
    return bj::object{{"tokens", std::move(pieces)},
                      {"token_logprobs", std::move(lps)},
                      {"top_logprobs", std::move(tops)},
                      {"text_offset", std::move(offsets)}};
  }
};

}  // namespace

std::unique_ptr<ResponseShape> make_chat_shape(std::string model, const Tokenizer& tokenizer, int n,
                                               chat::ToolCallFormat tool_format) {
  return std::make_unique<ChatShape>(std::move(model), tokenizer, n, tool_format);
}

std::unique_ptr<ResponseShape> make_completion_shape(std::string model, const Tokenizer& tokenizer,
                                                     int n) {
  return std::make_unique<CompletionShape>(std::move(model), tokenizer, n);
}

}  // namespace hydra::engine
