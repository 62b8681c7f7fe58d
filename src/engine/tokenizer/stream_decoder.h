#pragma once
// Turns token ids into text one id at a time for streaming responses. Only
// complete UTF-8 sequences are emitted: bytes of a character split across
// tokens are held back until it completes, and bytes that can never form a
// character become U+FFFD. The concatenation of everything emitted equals
// Tokenizer::decode of all ids whenever that decode is valid UTF-8.
#include <cstdint>
#include <string>

#include "engine/tokenizer/tokenizer.h"

namespace hydra::engine {

class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool render_special = false)
      : tokenizer_(tokenizer),
        render_special_(render_special),
        strip_space_(tokenizer.strips_leading_space()) {}

  // Text that became complete with this id (possibly empty).
  std::string push(int32_t id);
  // Whatever is still held back, with U+FFFD for an unfinished character.
  std::string flush();
  // Bytes currently held back (0..3).
  size_t pending() const { return pending_.size(); }

 private:
  std::string take_complete(bool final);

  const Tokenizer& tokenizer_;
  bool render_special_;
  bool strip_space_;
  std::string pending_;
};

}  // namespace hydra::engine
