#pragma once
// The GPT-2 byte-level alphabet: every byte is written as one printable code
// point so byte-level BPE vocabularies can be stored as text ("Ġ" is the
// space byte, "Ċ" the newline).
#include <cstdint>
#include <string>
#include <string_view>

namespace hydra::engine {

// The code point standing for `byte`.
uint32_t byte_to_cp(uint8_t byte);
// The byte a code point stands for, or -1 if it is not in the alphabet.
int cp_to_byte(uint32_t cp);
// Appends the alphabet form of raw bytes.
void append_byte_level(std::string_view bytes, std::string& out);
// Raw bytes of an alphabet-form text; code points outside the alphabet are
// kept as their own UTF-8.
std::string byte_level_decode(std::string_view text);

}  // namespace hydra::engine
