#pragma once
// How generated choices become OpenAI response bodies: the chat shape
// (`chat.completion` / `chat.completion.chunk`, tool calls, chat logprobs)
// and the completion shape (`text_completion`, completion logprobs). Both
// collect the events of every choice; in a stream they also say which
// chunks to send for each event.
#include <boost/json.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/chat/tool_calls.h"
#include "engine/runtime/runtime.h"

namespace hydra::engine {

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  boost::json::object to_json() const;
};

struct ChoiceState {
  std::string text;
  std::vector<int32_t> tokens;
  std::vector<SampledToken> logprobs;
  std::string finish_reason;
  bool finished = false;
};

class ResponseShape {
 public:
  ResponseShape(std::string id, std::string model, const Tokenizer& tokenizer, int n);
  virtual ~ResponseShape() = default;

  // Chunks to send when a stream opens (e.g. the assistant role).
  virtual std::vector<boost::json::object> stream_start() { return {}; }
  // Records the event; returns the chunks a stream sends for it.
  std::vector<boost::json::object> on_event(const TokenEvent& ev);
  // The whole answer once every choice finished.
  virtual boost::json::object final_body(const Usage& usage) const = 0;
  // The last chunk of a stream with include_usage: no choices, the usage.
  boost::json::object usage_chunk(const Usage& usage) const;

  const std::vector<ChoiceState>& choices() const { return choices_; }
  int64_t completion_tokens() const;

 protected:
  virtual std::vector<boost::json::object> chunks_for(const TokenEvent& ev, ChoiceState& c) = 0;
  virtual const char* chunk_object() const = 0;
  boost::json::object chunk_envelope(const char* object) const;

  std::string id_;
  std::string model_;
  int64_t created_;
  const Tokenizer& tokenizer_;
  std::vector<ChoiceState> choices_;
};

// Chat completions. With `tool_format` other than kNone (the request passed
// tools), tool calls in a choice's text become OpenAI `tool_calls`: parsed
// from the whole text for the final body, recognised as they are generated
// in a stream (chat::ToolCallStream).
std::unique_ptr<ResponseShape> make_chat_shape(std::string model, const Tokenizer& tokenizer, int n,
                                               chat::ToolCallFormat tool_format);
std::unique_ptr<ResponseShape> make_completion_shape(std::string model, const Tokenizer& tokenizer,
                                                     int n);

}  // namespace hydra::engine
