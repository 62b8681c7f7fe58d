#pragma once
// The text of an OpenAI-style request that input moderation looks at.
#include <boost/json.hpp>
#include <string>

namespace hydra::moderation {

// Message contents (a string, or the `text` of content parts), `prompt`,
// `input`, `query`, `documents` and `negative_prompt`, each as a string or a
// list of strings, joined by newlines. Fields of other shapes are ignored:
// request validation is the upstream's business, not moderation's.
std::string request_text(const boost::json::value& request);

// The text of an answer: choices' message content (and tool-call arguments)
// or completion text.
std::string answer_text(const boost::json::value& answer);

// The new text in one streamed chunk: choices' delta content (and tool-call
// argument pieces) or completion text.
std::string chunk_text(const boost::json::value& chunk);

}  // namespace hydra::moderation
