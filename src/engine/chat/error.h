#pragma once
// Failures while parsing or rendering a template. Templates come from model
// files, so every failure (syntax, type error, raise_exception, resource
// limit) surfaces as this one exception with a readable message; the chat
// layer turns it into an API error.
#include <stdexcept>
#include <string>

namespace hydra::engine::jinja {

class TemplateError : public std::runtime_error {
 public:
  explicit TemplateError(const std::string& message) : std::runtime_error(message) {}
};

// A template-level syntax error, reported with its line.
class TemplateSyntaxError : public TemplateError {
 public:
  TemplateSyntaxError(const std::string& message, int line)
      : TemplateError("template syntax error at line " + std::to_string(line) + ": " + message) {}
};

// The template itself refused the input through raise_exception(), e.g.
// "Conversation roles must alternate user/assistant".
class TemplateRaised : public TemplateError {
 public:
  explicit TemplateRaised(const std::string& message) : TemplateError(message) {}
};

[[noreturn]] inline void fail(const std::string& message) {
  throw TemplateError(message);
}

}  // namespace hydra::engine::jinja
