#pragma once
// A bounds-checked little-endian cursor over untrusted bytes. Every read
// checks the bytes left first, so a truncated or hostile file ends in a
// FormatError naming the offset, never in a read past the end.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "engine/format/format_error.h"

namespace hydra::engine {

class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size, std::string what)
      : data_(data), size_(size), what_(std::move(what)) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  [[noreturn]] void fail(const std::string& message) const {
    throw FormatError(what_ + ": " + message + " (at byte " + std::to_string(pos_) + ")");
  }

  // Throws unless `n` more bytes exist.
  void need(uint64_t n, const char* what) const {
    if (n > remaining()) {
      fail(std::string("truncated ") + what + ": needs " + std::to_string(n) + " bytes, " +
           std::to_string(remaining()) + " left");
    }
  }

  template <class T>
  T read(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  // A GGUF string: uint64 length, then that many bytes (no terminator).
  std::string read_string(const char* what) {
    const auto len = read<uint64_t>(what);
    need(len, what);
    std::string s(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return s;
  }

  void skip(uint64_t n, const char* what) {
    need(n, what);
    pos_ += static_cast<size_t>(n);
  }

  const uint8_t* here() const { return data_ + pos_; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  std::string what_;
};

}  // namespace hydra::engine
