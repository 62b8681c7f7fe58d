#include "engine/tokenizer/stream_decoder.h"

#include "engine/tokenizer/unicode.h"

namespace hydra::engine {

std::string StreamDecoder::push(int32_t id) {
  std::string piece = tokenizer_.token_to_piece(id, render_special_);
  if (strip_space_ && !piece.empty()) {
    if (piece[0] == ' ') piece.erase(0, 1);
    strip_space_ = false;
  }
  pending_ += piece;
  return take_complete(false);
}

std::string StreamDecoder::flush() {
  return take_complete(true);
}

std::string StreamDecoder::take_complete(bool final) {
  std::string out;
  const auto* s = reinterpret_cast<const unsigned char*>(pending_.data());
  size_t i = 0;
  while (i < pending_.size()) {
    Utf8Step step = utf8_step(s + i, pending_.size() - i);
    if (step.status == Utf8Status::kIncomplete && !final) break;  // wait for the rest
    if (step.status == Utf8Status::kComplete) {
      out.append(pending_, i, step.length);
    } else {
      append_utf8(kReplacementChar, out);
    }
    i += step.length;
  }
  pending_.erase(0, i);
  return out;
}

}  // namespace hydra::engine
