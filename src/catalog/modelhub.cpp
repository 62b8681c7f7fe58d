// Splits an import text into model descriptions; modelhub_spec.cpp reads each.
#include "catalog/modelhub.h"

#include "catalog/modelhub_spec.h"
#include "common/error.h"
#include "common/strings.h"

namespace hydra::catalog {
namespace {

constexpr size_t kMaxItems = 10000;
// Reading budget: what a real file of this size needs with room to spare,
// while aliases that repeat one spec thousands of times run out of it.
constexpr size_t kBaseBudget = 1'000'000;
constexpr size_t kBudgetPerByte = 2;
constexpr size_t kItemCost = 32;

struct Collector {
  YamlReader& reader;
  std::vector<ImportItem>& items;

  void add(const YAML::Node& node, const std::string& fallback_name) {
    if (items.size() >= kMaxItems) throw_param("an import holds at most 10000 models");
    reader.spend(kItemCost);
    items.push_back(read_model_spec(reader, node, items.size(), fallback_name));
  }

  // A document: one spec, a list of specs, or a mapping holding the list.
  void document(const YAML::Node& doc) {
    if (doc.IsNull()) return;  // empty documents, e.g. a trailing '---'
    if (doc.IsSequence()) {
      for (const auto& n : reader.elements(doc, kMaxItems)) add(n, "");
      return;
    }
    if (doc.IsMap()) {
      if (auto list = reader.child_any(doc, {"models", "items", "entries"})) {
        if (list->IsSequence()) {
          for (const auto& n : reader.elements(*list, kMaxItems)) add(n, "");
          return;
        }
        if (list->IsMap()) {  // name -> spec
          for (const auto& [name, n] : reader.entries(*list, kMaxItems)) add(n, name);
          return;
        }
      }
    }
    add(doc, "");
  }
};

struct Document {
  std::string text;
  size_t first_line = 1;  // of the whole input, for error messages
};

bool document_marker(std::string_view line, std::string_view marker) {
  return line.substr(0, 3) == marker && (line.size() == 3 || line[3] == ' ' || line[3] == '\t');
}

// Splits a YAML stream at its document markers ("---" starts a document,
// "..." ends one; both only at the start of a line, where the YAML spec
// makes them markers even inside block scalars). Each document is then
// parsed on its own with YAML::Load: yaml-cpp 0.7's LoadAll never returns
// on some malformed streams (a stray top-level ',' yields an endless run of
// empty documents), while Load reads one document and stops.
std::vector<Document> split_documents(std::string_view text) {
  std::vector<Document> docs(1);
  size_t line_no = 1;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find_first_of("\r\n", pos);
    size_t next = end == std::string_view::npos ? text.size() : end + 1;
    if (end != std::string_view::npos && text[end] == '\r' && next < text.size() &&
        text[next] == '\n') {
      ++next;
    }
    std::string_view line =
        text.substr(pos, (end == std::string_view::npos ? text.size() : end) - pos);
    if (document_marker(line, "---") && !trim(docs.back().text).empty())
      docs.push_back({"", line_no});
    docs.back().text.append(line).push_back('\n');
    if (document_marker(line, "...")) docs.push_back({"", line_no + 1});
    ++line_no;
    pos = next;
  }
  return docs;
}

}  // namespace

std::vector<ImportItem> parse_modelhub(std::string_view text) {
  if (text.size() > kMaxImportBytes) {
    throw_param("import text is larger than 16 MiB");
  }
  std::vector<YAML::Node> docs;
  for (const auto& piece : split_documents(text)) {
    try {
      docs.push_back(YAML::Load(piece.text));
    } catch (const YAML::Exception& e) {
      std::string where = e.mark.is_null()
                              ? std::string()
                              : " at line " + std::to_string(piece.first_line + e.mark.line) +
                                    ", column " + std::to_string(e.mark.column + 1);
      throw_param("import text is not valid YAML" + where + ": " + e.msg);
    }
  }
  std::vector<ImportItem> items;
  YamlReader reader(kBaseBudget + kBudgetPerByte * text.size());
  Collector collect{reader, items};
  try {
    for (const auto& doc : docs) collect.document(doc);
  } catch (const YAML::Exception& e) {
    throw_param("import text could not be read: " + e.msg);
  }
  if (items.empty()) throw_param("import text holds no ModelSpec");
  return items;
}

}  // namespace hydra::catalog
