#pragma once
// A byte-level recogniser of the JSON text a compiled JsonSchema allows
// (see json_schema.h for the exact language), that also knows the shortest
// bytes completing the value from any state. Like JsonGrammar it is a plain
// value: a copy is cheap (a fixed array of small frames), which is how
// candidate tokens are tried.
#include <boost/container/static_vector.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/sampling/json_schema.h"

namespace hydra::engine {

class SchemaGrammar {
 public:
  static constexpr size_t kMaxFrames = 64;  // nesting of the generated value

  // `schema` must outlive the grammar.
  explicit SchemaGrammar(const JsonSchema& schema);

  // Advances over one byte; false (the state is then unspecified) when the
  // byte cannot continue an allowed value.
  bool advance(uint8_t byte);
  bool advance(std::string_view bytes);
  // The value is closed; nothing may follow.
  bool complete() const { return frames_.empty(); }
  // The value may end here (closed, or a top-level number or literal that
  // could also go on).
  bool may_end() const;
  // Some byte may still follow (false once closed, or e.g. after a
  // top-level "0" or a number at its digit limit).
  bool can_continue() const;
  // The shortest bytes that complete the value from here.
  std::string completion() const;

 private:
  enum class Kind : uint8_t { kValue, kObject, kArray, kString, kNumber, kLiteral };
  enum class Result : uint8_t { kAccept, kReject, kPass };  // kPass: popped, byte goes to parent

  struct Frame {
    Kind kind = Kind::kValue;
    uint8_t state = 0;
    bool flag = false;  // string: is a key; number: integer only; literal: the node's enum
    uint8_t utf8_left = 0, utf8_lo = 0x80, utf8_hi = 0xBF, hex_count = 0;
    bool hex_high_d = false;
    int32_t node = 0;
    int32_t next = 0;     // object: first property that may still come
    int32_t current = 0;  // object: the property whose key was read
    uint32_t pos = 0;     // literal / key: bytes matched
    uint64_t alive = 0;   // literal / key: candidates still matching
  };

  Result step(Frame& f, uint8_t b);
  Result start_value(Frame& f, uint8_t b);
  Result object_byte(Frame& f, uint8_t b);
  Result free_object_byte(Frame& f, uint8_t b);
  Result array_byte(Frame& f, uint8_t b);
  Result string_byte(Frame& f, uint8_t b);
  Result number_byte(Frame& f, uint8_t b);
  Result literal_byte(Frame& f, uint8_t b);
  Result key_byte(Frame& f, uint8_t b);
  bool push(Kind kind, int32_t node);
  Result pop();

  const std::vector<std::string>& literals(const Frame& f) const;
  uint64_t key_candidates(const SchemaNode& n, int32_t from) const;
  bool required_from(const SchemaNode& n, int32_t from) const;
  std::string required_tail(const SchemaNode& n, int32_t from, bool first) const;
  std::string frame_completion(const Frame& f) const;
  std::string object_completion(const Frame& f) const;
  std::string string_completion(const Frame& f) const;

  const JsonSchema* schema_;
  boost::container::static_vector<Frame, kMaxFrames> frames_;
  bool space_ok_ = false;  // one space may follow ':' or ','
};

}  // namespace hydra::engine
