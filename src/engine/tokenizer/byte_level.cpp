#include "engine/tokenizer/byte_level.h"

#include <array>

#include "engine/tokenizer/unicode.h"

namespace hydra::engine {
namespace {

struct ByteAlphabet {
  std::array<uint32_t, 256> cp_of_byte{};
  std::array<int16_t, 512> byte_of_cp{};  // every alphabet code point is below 0x144
};

// Printable Latin-1 bytes keep their own code point; the other 68 bytes take
// U+0100 onwards in byte order. This is the published GPT-2 construction.
const ByteAlphabet& alphabet() {
  static const ByteAlphabet a = [] {
    ByteAlphabet t;
    t.byte_of_cp.fill(-1);
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      bool printable =
          (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      uint32_t cp = printable ? static_cast<uint32_t>(b) : next++;
      t.cp_of_byte[b] = cp;
      t.byte_of_cp[cp] = static_cast<int16_t>(b);
    }
    return t;
  }();
  return a;
}

}  // namespace

uint32_t byte_to_cp(uint8_t byte) {
  return alphabet().cp_of_byte[byte];
}

int cp_to_byte(uint32_t cp) {
  return cp < 512 ? alphabet().byte_of_cp[cp] : -1;
}

void append_byte_level(std::string_view bytes, std::string& out) {
  for (char c : bytes) append_utf8(byte_to_cp(static_cast<uint8_t>(c)), out);
}

std::string byte_level_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = 0;
  while (i < text.size()) {
    Utf8Step step = utf8_step(s + i, text.size() - i);
    int byte = step.status == Utf8Status::kComplete ? cp_to_byte(step.cp) : -1;
    if (byte >= 0) {
      out.push_back(static_cast<char>(byte));
    } else {
      out.append(text.substr(i, step.length));
    }
    i += step.length;
  }
  return out;
}

}  // namespace hydra::engine
