// Splits an import text into model descriptions; modelhub_spec.cpp reads each.
#include "catalog/modelhub.h"

#include "catalog/modelhub_spec.h"
#include "common/error.h"

namespace hydra::catalog {
namespace {

constexpr size_t kMaxItems = 10000;

struct Collector {
  YamlReader& reader;
  std::vector<ImportItem>& items;

  void add(const YAML::Node& node, const std::string& fallback_name) {
    if (items.size() >= kMaxItems) throw_param("an import holds at most 10000 models");
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

}  // namespace

std::vector<ImportItem> parse_modelhub(std::string_view text) {
  if (text.size() > kMaxImportBytes) {
    throw_param("import text is larger than 16 MiB");
  }
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    std::string where = e.mark.is_null() ? std::string()
                                         : " at line " + std::to_string(e.mark.line + 1) +
                                               ", column " + std::to_string(e.mark.column + 1);
    throw_param("import text is not valid YAML" + where + ": " + e.msg);
  }
  std::vector<ImportItem> items;
  YamlReader reader;
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
