#pragma once
// The one error every model-file parser throws. Callers that face a client
// turn it into an ApiError; the message says what and where.
#include <stdexcept>
#include <string>

namespace hydra::engine {

class FormatError : public std::runtime_error {
 public:
  explicit FormatError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace hydra::engine
