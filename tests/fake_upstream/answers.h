#pragma once
// Request reading and answer bodies in the OpenAI shapes (and vLLM's
// rerank shape). Token counts are deterministic: a prompt has one token per
// whitespace-separated word of its text; an answer has `max_tokens` tokens
// (or --tokens), each one a short word.
#include <boost/json.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "options.h"

namespace fake {

class BadRequest : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Kind { kChat, kCompletion, kEmbedding, kImage, kRerank };

// What one inference request asks for.
struct Ask {
  Kind kind = Kind::kChat;
  std::string model;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  bool continuous = false;     // stream_options.continuous_usage_stats (vLLM)
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;  // to generate
  int64_t items = 1;              // embeddings inputs, images, rerank documents
  bool base64 = false;            // embeddings: encoding_format "base64" (the openai SDKs' default)
};

// Throws BadRequest when the body is not what the endpoint takes.
Ask read_ask(Kind kind, const std::string& body, const Options& o);

std::string usage_json(int64_t prompt, int64_t completion);
std::string error_json(const std::string& message, const std::string& type, int code);

// Whole answers.
std::string whole_answer(const Ask& a, const std::string& id, const Options& o);

// Stream events, each "data: ...\n\n". `done` tokens were generated so far.
std::string role_event(const Ask& a, const std::string& id, bool with_usage);
std::string token_event(const Ask& a, const std::string& id, int64_t index, bool with_usage);
std::string finish_event(const Ask& a, const std::string& id, bool with_usage);
std::string usage_event(const Ask& a, const std::string& id);
inline const char* done_event() {
  return "data: [DONE]\n\n";
}

}  // namespace fake
