#include "catalog/import_source.h"

#include "catalog/maas_model.h"
#include "catalog/modelhub.h"
#include "common/error.h"
#include "common/json.h"
#include "common/strings.h"
#include "http/client.h"

namespace hydra::catalog {
namespace {

std::string media_type(std::string_view content_type) {
  return to_lower(trim(content_type.substr(0, content_type.find(';'))));
}

// The value of `param` in a header such as `multipart/form-data; boundary=x`
// or `form-data; name="file"`; quotes removed.
std::optional<std::string> header_param(std::string_view header, std::string_view param) {
  for (const auto& piece : split(header, ';')) {
    std::string p = trim(piece);
    size_t eq = p.find('=');
    if (eq == std::string::npos || to_lower(trim(p.substr(0, eq))) != param) continue;
    std::string v = trim(p.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return v;
  }
  return std::nullopt;
}

struct Part {
  std::string name;
  std::string_view content;
};

// Splits one part into its headers and content, and reads the field name.
Part read_part(std::string_view raw) {
  size_t end = raw.find("\r\n\r\n");
  if (end == std::string_view::npos) throw_param("multipart part has no header block");
  Part part;
  part.content = raw.substr(end + 4);
  for (const auto& line : split(raw.substr(0, end), '\n')) {
    std::string l = trim(line);
    size_t colon = l.find(':');
    if (colon == std::string::npos) continue;
    if (to_lower(trim(l.substr(0, colon))) != "content-disposition") continue;
    part.name = header_param(l.substr(colon + 1), "name").value_or("");
  }
  return part;
}

}  // namespace

std::optional<std::string> multipart_field(std::string_view content_type, std::string_view body,
                                           std::string_view name) {
  auto boundary = header_param(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 200) {
    throw_param("multipart/form-data needs a boundary");
  }
  std::string delim = "--" + *boundary;
  size_t pos = body.find(delim);
  if (pos == std::string_view::npos) throw_param("multipart body does not contain its boundary");
  std::string next_delim = "\r\n" + delim;
  while (true) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") return std::nullopt;  // closing delimiter
    if (body.substr(pos, 2) != "\r\n") throw_param("multipart boundary line is malformed");
    pos += 2;
    size_t end = body.find(next_delim, pos);
    if (end == std::string_view::npos) throw_param("multipart body is truncated");
    Part part = read_part(body.substr(pos, end - pos));
    if (part.name == name) return std::string(part.content);
    pos = end + 2;  // now at the next "--boundary"
  }
}

std::string fetch_import_url(const std::string& url) {
  if (!valid_upstream_url(url)) throw_param("'url' must be an absolute http or https URL", "url");
  http::ClientOptions opts;
  opts.max_response_bytes = static_cast<int64_t>(kMaxImportBytes);
  opts.request_timeout_ms = 30000;
  http::Client client(opts);
  http::ClientResponse resp;
  try {
    resp = client.get(url, {{"accept", "application/yaml, text/yaml, text/plain, */*"}});
  } catch (const std::exception& e) {
    throw_param(std::string("could not fetch ") + url + ": " + e.what(), "url");
  }
  if (resp.status < 200 || resp.status > 299) {
    throw_param(
        "could not fetch " + url + ": the server answered HTTP " + std::to_string(resp.status),
        "url");
  }
  return resp.body;
}

std::string import_text(std::string_view content_type, std::string_view body,
                        const UrlFetcher& fetch) {
  std::string type = media_type(content_type);
  std::string text;
  if (type == "multipart/form-data") {
    auto file = multipart_field(content_type, body, "file");
    if (!file) throw_param("the upload has no 'file' field", "file");
    text = std::move(*file);
  } else if (type == "application/json") {
    boost::json::value request = json::parse(body);  // Fields keeps a pointer into it
    json::Fields f(request);
    auto url = f.opt_str("url");
    auto yaml = f.opt_str("yaml");
    f.done();
    if (url.has_value() == yaml.has_value()) throw_param("give exactly one of 'url' or 'yaml'");
    text = url ? fetch(*url) : std::move(*yaml);
  } else {
    text = std::string(body);
  }
  if (trim(text).empty()) throw_param("the import is empty: send ModelSpec YAML");
  if (text.size() > kMaxImportBytes) throw_param("import text is larger than 16 MiB");
  return text;
}

}  // namespace hydra::catalog
