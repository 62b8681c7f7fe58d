#include "gateway/usage_scan.h"

#include <boost/json/array.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <string>
#include <vector>

#include "common/json.h"

namespace hydra::gateway {
namespace {

namespace bj = boost::json;
using bj::error_code;
using bj::string_view;

// What a container is to the scan.
enum class Frame { kTop, kUsage, kDetails, kOther };

// The counted members, named by the key that introduced the current value.
enum class Member { kNone, kUsage, kPrompt, kCompletion, kDetails, kCached };

// A number's count, read as everywhere else (json::count_or_zero).
template <class Number>
int64_t count_of(Number n) {
  bj::value v(n);
  return json::count_or_zero(&v);
}

struct Handler {
  // The document parser's limits, so both refuse the same answers.
  static constexpr std::size_t max_object_size = bj::object::max_size();
  static constexpr std::size_t max_array_size = bj::array::max_size();
  static constexpr std::size_t max_key_size = bj::string::max_size();
  static constexpr std::size_t max_string_size = bj::string::max_size();

  // Room for an answer's usual depth in one allocation (a chat answer's
  // message is four containers deep).
  Handler() { frames.reserve(8); }

  AnswerUsage out;
  std::vector<Frame> frames;
  Member member = Member::kNone;  // of the value about to start
  std::string key;                // a key arriving in parts

  // A value starts under `member`; `count` is its count when it is a
  // number, 0 otherwise. Like a document, the last of duplicate keys wins.
  void value(int64_t count, bool is_object) {
    switch (member) {
      case Member::kUsage:
        out.found = is_object;
        out.prompt_tokens = out.completion_tokens = out.cached_tokens = 0;
        break;
      case Member::kPrompt:
        out.prompt_tokens = count;
        break;
      case Member::kCompletion:
        out.completion_tokens = count;
        break;
      case Member::kDetails:
        out.cached_tokens = 0;
        break;
      case Member::kCached:
        out.cached_tokens = count;
        break;
      case Member::kNone:
        break;
    }
  }
  Frame child_frame() const {
    if (frames.empty()) return Frame::kTop;
    if (member == Member::kUsage) return Frame::kUsage;
    if (member == Member::kDetails) return Frame::kDetails;
    return Frame::kOther;
  }
  void name_member(std::string_view k) {
    member = Member::kNone;
    switch (frames.back()) {
      case Frame::kTop:
        if (k == "usage") member = Member::kUsage;
        break;
      case Frame::kUsage:
        if (k == "prompt_tokens") member = Member::kPrompt;
        if (k == "completion_tokens") member = Member::kCompletion;
        if (k == "prompt_tokens_details") member = Member::kDetails;
        break;
      case Frame::kDetails:
        if (k == "cached_tokens") member = Member::kCached;
        break;
      case Frame::kOther:
        break;
    }
  }
  bool open(bool is_object, Frame frame) {
    value(0, is_object);
    frames.push_back(frame);
    member = Member::kNone;
    return true;
  }
  bool close() {
    frames.pop_back();
    member = Member::kNone;
    return true;
  }
  bool scalar(int64_t count = 0) {
    value(count, false);
    member = Member::kNone;
    return true;
  }

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) {
    if (frames.empty()) out.valid = true;  // the answer is an object
    return open(true, child_frame());
  }
  bool on_object_end(std::size_t, error_code&) { return close(); }
  bool on_array_begin(error_code&) { return open(false, Frame::kOther); }
  bool on_array_end(std::size_t, error_code&) { return close(); }
  bool on_key_part(string_view s, std::size_t, error_code&) {
    key.append(s.data(), s.size());
    return true;
  }
  bool on_key(string_view s, std::size_t, error_code&) {
    if (key.empty()) {
      name_member(std::string_view(s.data(), s.size()));
    } else {
      key.append(s.data(), s.size());
      name_member(key);
      key.clear();
    }
    return true;
  }
  bool on_string_part(string_view, std::size_t, error_code&) { return scalar(); }
  bool on_string(string_view, std::size_t, error_code&) { return scalar(); }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(int64_t v, string_view, error_code&) { return scalar(count_of(v)); }
  bool on_uint64(uint64_t v, string_view, error_code&) { return scalar(count_of(v)); }
  bool on_double(double v, string_view, error_code&) { return scalar(count_of(v)); }
  bool on_bool(bool, error_code&) { return scalar(); }
  bool on_null(error_code&) { return scalar(); }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }
};

}  // namespace

AnswerUsage scan_usage(std::string_view answer) {
  bj::basic_parser<Handler> p{bj::parse_options()};
  error_code ec;
  size_t n = p.write_some(false, answer.data(), answer.size(), ec);
  if (ec || n < answer.size()) return {};  // bytes after the document: not JSON
  return p.handler().out;
}

}  // namespace hydra::gateway
