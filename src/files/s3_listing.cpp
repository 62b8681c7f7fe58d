// S3 ListObjectsV2 answers (XML). S3 writes a flat, attribute-free
// document, so a tag scanner is enough; anything it does not expect is an
// error rather than a guess.
#include <charconv>
#include <optional>
#include <set>

#include "common/strings.h"
#include "files/listing.h"

namespace hydra::files {
namespace {

constexpr size_t kMaxXmlBytes = 64 << 20;

void append_utf8(std::string& out, uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    throw SourceError("S3 listing has an invalid character reference");
  }
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string decode_entities(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<') throw SourceError("S3 listing has markup inside a text field");
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos || semi - i > 12)
      throw SourceError("S3 listing has a broken entity");
    std::string_view name = s.substr(i + 1, semi - i - 1);
    if (name == "amp")
      out += '&';
    else if (name == "lt")
      out += '<';
    else if (name == "gt")
      out += '>';
    else if (name == "quot")
      out += '"';
    else if (name == "apos")
      out += '\'';
    else if (name.size() > 1 && name[0] == '#') {
      bool hex = name[1] == 'x' || name[1] == 'X';
      std::string_view digits = name.substr(hex ? 2 : 1);
      uint32_t cp = 0;
      auto [p, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
      if (ec != std::errc() || p != digits.data() + digits.size() || digits.empty()) {
        throw SourceError("S3 listing has a broken character reference");
      }
      append_utf8(out, cp);
    } else {
      throw SourceError("S3 listing has an unknown entity");
    }
    i = semi;
  }
  return out;
}

// The text of the first <tag>...</tag> in [from, to); nullopt when absent.
std::optional<std::string> element(std::string_view xml, std::string_view tag) {
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  size_t a = xml.find(open);
  if (a == std::string_view::npos) {
    std::string empty = "<" + std::string(tag) + "/>";
    if (xml.find(empty) != std::string_view::npos) return std::string();
    return std::nullopt;
  }
  size_t b = xml.find(close, a + open.size());
  if (b == std::string_view::npos)
    throw SourceError("S3 listing: <" + std::string(tag) + "> is not closed");
  return decode_entities(xml.substr(a + open.size(), b - a - open.size()));
}

int64_t parse_size(const std::string& text, const std::string& key) {
  int64_t n = -1;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p != text.data() + text.size() || n < 0 || n > kMaxFileSize) {
    throw SourceError("S3 listing gives '" + key + "' an impossible size");
  }
  return n;
}

}  // namespace

S3ListingPage parse_s3_listing(std::string_view xml, std::string_view prefix) {
  if (xml.size() > kMaxXmlBytes) throw SourceError("S3 listing is too large");
  if (xml.find("<Error>") != std::string_view::npos) {
    std::string code = element(xml, "Code").value_or("unknown error");
    std::string message = element(xml, "Message").value_or("");
    throw SourceError("S3 answered " + utf8_sanitize(code.substr(0, 100)) + ": " +
                      utf8_sanitize(message.substr(0, 300)));
  }
  if (xml.find("<ListBucketResult") == std::string_view::npos) {
    throw SourceError("S3 listing is not a ListBucketResult document");
  }
  S3ListingPage page;
  std::set<std::string> seen;
  size_t pos = 0;
  while (true) {
    size_t a = xml.find("<Contents>", pos);
    if (a == std::string_view::npos) break;
    size_t b = xml.find("</Contents>", a);
    if (b == std::string_view::npos) throw SourceError("S3 listing: <Contents> is not closed");
    std::string_view block = xml.substr(a, b - a);
    pos = b + 11;
    auto key = element(block, "Key");
    if (!key) throw SourceError("S3 listing: an object has no <Key>");
    if (!key->empty() && key->back() == '/') continue;  // a "directory" marker
    if (key->compare(0, prefix.size(), prefix) != 0) {
      throw SourceError("S3 listing names '" + utf8_sanitize(*key) + "' outside the prefix");
    }
    ListedFile f;
    f.key = *key;
    f.path = key->substr(prefix.size());
    while (!f.path.empty() && f.path.front() == '/') f.path.erase(0, 1);
    // A prefix that is a whole key names one object: it keeps its own name.
    if (f.path.empty()) f.path = key->substr(key->rfind('/') + 1);
    if (!safe_relative_path(f.path)) {
      throw SourceError("S3 listing names an unsafe key '" + utf8_sanitize(key->substr(0, 200)) +
                        "'");
    }
    if (!seen.insert(f.path).second) throw SourceError("S3 listing names '" + f.path + "' twice");
    auto size = element(block, "Size");
    if (size) f.size = parse_size(*size, f.path);
    if (page.files.size() >= kMaxListedFiles) throw SourceError("S3 listing names too many files");
    page.files.push_back(std::move(f));
  }
  page.truncated = element(xml, "IsTruncated").value_or("false") == "true";
  page.next_token = element(xml, "NextContinuationToken").value_or("");
  if (page.truncated && page.next_token.empty()) {
    throw SourceError("S3 listing is truncated but gives no continuation token");
  }
  return page;
}

}  // namespace hydra::files
