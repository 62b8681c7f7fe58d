#pragma once
// Structured columns are JSON text. Reading them back is lenient (an empty
// or damaged cell reads as the empty value) because a bad cell must never
// make a whole list unreadable.
#include <boost/json.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hydra::catalog {

namespace bj = boost::json;

bj::array read_array(std::string_view text);
bj::object read_object(std::string_view text);
std::vector<std::string> read_string_list(std::string_view text);
std::map<std::string, std::string> read_string_map(std::string_view text);

bj::array to_json(const std::vector<std::string>& list);
bj::object to_json(const std::map<std::string, std::string>& map);

// Strict decoders for request bodies: PARAM_ERROR naming `param` on a wrong shape.
std::vector<std::string> decode_string_list(const bj::value& v, const std::string& param);
std::map<std::string, std::string> decode_string_map(const bj::value& v, const std::string& param);

// {"enUS": "...", "zhCN": "..."}
struct Localized {
  std::string en_us;
  std::string zh_cn;
};
bj::object to_json(const Localized& l);
Localized decode_localized(const bj::value& v, const std::string& param);

}  // namespace hydra::catalog
