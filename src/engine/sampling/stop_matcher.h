#pragma once
// Finds stop strings in streamed text, also when one spans several tokens:
// text that could be the start of a stop string is held back until the
// following text decides, so nothing past a stop string is ever emitted.
#include <string>
#include <string_view>
#include <vector>

namespace hydra::engine {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {}

  // Appends text and returns what can be emitted now. Once a stop string
  // appears, the text before it is returned, stopped() turns true, and
  // everything from the stop string on is dropped.
  std::string push(std::string_view text);
  // At the end of generation: whatever was held back.
  std::string flush();
  bool stopped() const { return stopped_; }
  // The stop string that matched ("" if none).
  const std::string& matched() const { return matched_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  std::string matched_;
  bool stopped_ = false;
};

}  // namespace hydra::engine
