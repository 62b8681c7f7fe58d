#pragma once
// JSON helpers over Boost.JSON. `Fields` decodes a request object strictly:
// wrong types and unknown fields become PARAM_ERROR with the field named, so
// a typo in a client never passes silently.
#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace hydra::json {

namespace bj = boost::json;

// Parses a request body; malformed input throws ApiError(PARAM_ERROR).
bj::value parse(std::string_view text);
std::string dump(const bj::value& v);
// A count (tokens, limits) read from outside JSON: an integer, or a float
// that holds one exactly; anything else, out of range included, is 0.
int64_t count_or_zero(const bj::value* v);

class Fields {
 public:
  // `v` must be an object, else PARAM_ERROR naming `where`.
  explicit Fields(const bj::value& v, std::string where = "body");
  // Fields keeps a pointer into `v`: a temporary would dangle.
  Fields(bj::value&&, std::string = "body") = delete;

  std::string str(std::string_view key);
  std::optional<std::string> opt_str(std::string_view key);
  int64_t i64(std::string_view key);
  std::optional<int64_t> opt_i64(std::string_view key);
  double f64(std::string_view key);
  std::optional<double> opt_f64(std::string_view key);
  bool boolean(std::string_view key);
  std::optional<bool> opt_bool(std::string_view key);
  std::optional<std::vector<std::string>> opt_str_list(std::string_view key);
  const bj::object* opt_object(std::string_view key);
  const bj::array* opt_array(std::string_view key);
  const bj::value* opt_value(std::string_view key);
  bool has(std::string_view key) const;
  // Throws PARAM_ERROR on the first field that no accessor asked for.
  void done() const;

 private:
  const bj::value* find(std::string_view key);
  [[noreturn]] void wrong_type(std::string_view key, const char* expected) const;
  std::string name(std::string_view key) const;

  const bj::object* obj_;
  std::string where_;
  std::set<std::string, std::less<>> seen_;
};

}  // namespace hydra::json
