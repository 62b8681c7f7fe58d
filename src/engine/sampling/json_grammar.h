#pragma once
// A byte-level recogniser for one JSON object (RFC 8259, as strict as
// Boost.JSON: valid UTF-8, no lone surrogate escapes, no control bytes in
// strings). It accepts exactly the byte strings that are prefixes of an
// object, and knows the shortest bytes that would complete it, so a
// constrained decoder can always finish with valid JSON.
//
// Plain value type: copying it is cheap, which is how candidate tokens are
// tried (advance a copy over the token's bytes).
#include <cstdint>
#include <string>
#include <string_view>

namespace hydra::engine {

class JsonGrammar {
 public:
  static constexpr int kMaxDepthLimit = 256;

  explicit JsonGrammar(int max_depth = 32);

  // Advances over one byte; false (and the state is then unspecified) when
  // the byte cannot continue a valid object.
  bool advance(uint8_t byte);
  bool advance(std::string_view bytes);
  // The top-level object has been closed.
  bool complete() const { return mode_ == Mode::kDone; }
  // The shortest bytes that complete the object from here.
  std::string completion() const;
  size_t completion_size() const { return completion().size(); }

 private:
  enum class Mode : uint8_t {
    kStart,         // before the top-level '{'
    kKeyOrEnd,      // after '{'
    kKey,           // after ',' in an object
    kColon,         // after a key
    kValue,         // after ':' or ',' in an array
    kValueOrEnd,    // after '['
    kAfterValue,    // after a value: ',' or the container's close
    kString,        // inside a string
    kEscape,        // after '\'
    kUnicode,       // inside \uXXXX
    kNumMinus,      // "-"
    kNumZero,       // "0" / "-0"
    kNumInt,        // digits after a leading 1-9
    kNumDot,        // "."
    kNumFrac,       // fraction digits
    kNumExp,        // "e"
    kNumExpSign,    // "e+" / "e-"
    kNumExpDigits,  // exponent digits
    kLiteral,       // inside true / false / null
    kDone,
  };

  bool open(char kind);
  bool close(char kind);
  bool start_value(uint8_t byte);
  bool after_value(uint8_t byte);
  bool string_byte(uint8_t byte);
  bool number_byte(uint8_t byte);
  // Ends a number at a byte that is not part of it, then handles the byte.
  bool end_number(uint8_t byte);
  std::string close_all() const;

  Mode mode_ = Mode::kStart;
  int max_depth_;
  int depth_ = 0;
  char stack_[kMaxDepthLimit];  // '{' or '['
  bool string_is_key_ = false;
  uint8_t utf8_left_ = 0;                    // continuation bytes still expected
  uint8_t utf8_lo_ = 0x80, utf8_hi_ = 0xBF;  // range of the next continuation byte
  uint8_t hex_count_ = 0;
  bool hex_high_d_ = false;  // \uD... so far: the next digit must not start a surrogate
  const char* literal_ = nullptr;
  uint8_t literal_pos_ = 0;
};

}  // namespace hydra::engine
