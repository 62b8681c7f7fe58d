#include "catalog/modelhub_spec.h"

#include <algorithm>
#include <cmath>

#include "catalog/names.h"
#include "common/error.h"
#include "common/strings.h"

namespace hydra::catalog {
namespace {

constexpr size_t kMaxList = 256;

const char* const kKnownTags[] = {"TEXT_GENERATION", "VIDEO_TO_TEXT", "TEXT_TO_VIDEO",
                                  "IMAGE_TO_IMAGE",  "IMAGE_TO_TEXT", "TEXT_TO_IMAGE",
                                  "EMBEDDING",       "RERANK_MODEL",  "AUDIO_TO_AUDIO",
                                  "AUDIO_TO_TEXT",   "TOOLS"};

bool known_tag(const std::string& t) {
  return std::any_of(std::begin(kKnownTags), std::end(kKnownTags),
                     [&](const char* k) { return t == k; });
}

// {enUS, zhCN} from a mapping, or a plain string taken as English.
Localized read_localized(YamlReader& r, const std::optional<YAML::Node>& n) {
  Localized l;
  if (is_scalar(n)) {
    l.en_us = r.text(n);
  } else if (is_map(n)) {
    l.en_us = r.text(r.child_any(*n, {"enUS", "en", "en_US", "english"}));
    l.zh_cn = r.text(r.child_any(*n, {"zhCN", "zh", "zh_CN", "chinese"}));
  }
  return l;
}

// A source is `{name: X}` or just `X`.
std::string read_source(YamlReader& r, const std::optional<YAML::Node>& n) {
  if (is_map(n)) return r.text(r.child_any(*n, {"name", "repo", "id"}));
  return r.text(n);
}

void read_provider(YamlReader& r, const std::optional<YAML::Node>& n, ImportItem& item) {
  if (!n) return;
  Provider p;
  std::string raw_id;
  if (is_scalar(n)) {
    raw_id = r.text(n);
    p.name.en_us = raw_id;
  } else if (is_map(n)) {
    raw_id = r.text(r.child(*n, "id"));
    p.name = read_localized(r, r.child(*n, "name"));
    p.icon = r.text(r.child(*n, "icon"));
    if (raw_id.empty()) raw_id = !p.name.en_us.empty() ? p.name.en_us : p.name.zh_cn;
  }
  p.id = normalize_provider_id(raw_id);
  if (p.id.empty()) return;
  if (!valid_provider_id(p.id)) {
    item.warnings.push_back("provider '" + raw_id +
                            "' has an unusable id; imported without a provider");
    return;
  }
  if (p.name.en_us.empty() && p.name.zh_cn.empty()) p.name.en_us = raw_id;
  item.model.provider_id = p.id;
  item.provider = std::move(p);
}

void read_tags(YamlReader& r, const std::optional<YAML::Node>& n, ImportItem& item) {
  std::vector<std::string> raw;
  for (const auto& s : r.strings(n, kMaxList)) {
    for (const auto& part : split(s, ',')) raw.push_back(part);
  }
  for (const auto& t : raw) {
    std::string tag = normalize_tag(t);
    if (tag.empty()) continue;
    if (!valid_tag(tag)) {
      item.warnings.push_back("tag '" + t + "' ignored: not a tag name");
      continue;
    }
    if (!known_tag(tag)) item.warnings.push_back("tag '" + tag + "' is not a ModelHub tag; kept");
    if (std::find(item.model.tags.begin(), item.model.tags.end(), tag) == item.model.tags.end()) {
      item.model.tags.push_back(tag);
    }
  }
}

void read_links(YamlReader& r, const std::optional<YAML::Node>& n, ImportItem& item) {
  if (is_scalar(n)) {
    item.model.links.push_back({"", r.text(n)});
    return;
  }
  if (!is_seq(n)) return;
  for (const auto& l : r.elements(*n, kMaxList)) {
    ModelLink link;
    if (l.IsScalar()) {
      link.url = r.text(l);
    } else {
      link.description = r.text(r.child_any(l, {"description", "name", "title"}));
      link.url = r.text(r.child_any(l, {"url", "href", "link"}));
    }
    if (!link.url.empty()) item.model.links.push_back(std::move(link));
  }
}

void read_descriptor(YamlReader& r, const YAML::Node& d, ImportItem& item) {
  Model& m = item.model;
  m.display_name = r.text(r.child_any(d, {"display", "displayName", "display_name", "title"}));
  m.description = read_localized(r, r.child(d, "description"));
  auto icon = r.child(d, "icon");
  m.icon = is_map(icon) ? r.text(r.child_any(*icon, {"src", "url"})) : r.text(icon);
  read_links(r, r.child(d, "links"), item);
  read_provider(r, r.child(d, "provider"), item);
  read_tags(r, r.child(d, "tags"), item);
}

void read_config(YamlReader& r, const std::optional<YAML::Node>& config, ImportItem& item) {
  if (!is_map(config)) return;
  auto raw = r.child_any(*config, {"maxTokens", "maxModelLen", "contextLength"});
  if (!raw) return;
  auto n = r.number(raw);
  if (!n || *n < 0 || *n > 1e15 || std::floor(*n) != *n) {
    item.warnings.push_back("config.maxTokens '" + r.text(raw) +
                            "' is not a whole number; ignored");
    return;
  }
  item.model.max_tokens = static_cast<int64_t>(*n);
}

void read_prices(YamlReader& r, const std::optional<YAML::Node>& n, ImportItem& item) {
  if (!is_map(n)) return;
  auto in = r.number(r.child_any(*n, {"input", "prompt"}));
  auto out = r.number(r.child_any(*n, {"output", "completion"}));
  if (in && *in >= 0) item.model.price_input = *in;
  if (out && *out >= 0) item.model.price_output = *out;
}

void read_spec(YamlReader& r, const YAML::Node& spec, ImportItem& item) {
  auto descriptor = r.child(spec, "descriptor");
  read_descriptor(r, is_map(descriptor) ? *descriptor : spec, item);
  auto source = r.child_any(spec, {"source", "sources"});
  if (is_map(source)) {
    item.model.sources.huggingface = read_source(r, r.child_any(*source, {"huggingface", "hf"}));
    item.model.sources.modelscope = read_source(r, r.child_any(*source, {"modelscope", "ms"}));
  }
  if (item.model.sources.huggingface.empty() && item.model.sources.modelscope.empty()) {
    item.warnings.push_back("no huggingface or modelscope source");
  }
  read_config(r, r.child(spec, "config"), item);
  read_prices(r, r.child_any(spec, {"pricing", "price", "prices"}), item);
  auto deployments = r.child(spec, "deployments");
  if (is_seq(deployments)) {
    for (const auto& d : r.elements(*deployments, 64)) read_suggested_deployment(r, d, item);
  }
}

std::string read_id(YamlReader& r, const YAML::Node& node, const std::string& fallback) {
  auto metadata = r.child(node, "metadata");
  std::string id = is_map(metadata) ? r.text(r.child_any(*metadata, {"name", "id"})) : "";
  if (id.empty()) id = r.text(r.child_any(node, {"name", "id"}));
  if (id.empty()) id = trim(fallback);
  return to_lower(id);
}

// Reads the spec into `item`; a returned message makes the item invalid.
std::string read_into(YamlReader& r, const YAML::Node& node, const std::string& fallback,
                      ImportItem& item) {
  if (!node.IsMap()) return "entry is not a mapping (expected a ModelSpec)";
  std::string kind = r.text(r.child(node, "kind"));
  if (!kind.empty() && to_lower(kind) != "modelspec") return "kind '" + kind + "' is not ModelSpec";
  std::string api = r.text(r.child(node, "apiVersion"));
  if (!api.empty() && !starts_with(api, "model.hydra.io/")) {
    item.warnings.push_back("apiVersion '" + api +
                            "' is not model.hydra.io/*; read as a ModelSpec");
  }
  item.id = item.model.id = read_id(r, node, fallback);
  if (item.id.empty()) return "metadata.name is missing";
  auto spec = r.child(node, "spec");
  if (spec && !spec->IsMap()) return "spec is not a mapping";
  read_spec(r, spec ? *spec : node, item);
  // The schema also allows one deployment described under metadata.
  auto metadata = r.child(node, "metadata");
  if (item.templates.empty() && is_map(metadata) && r.child(*metadata, "runtime")) {
    read_suggested_deployment(r, *metadata, item);
  }
  try {
    validate_model(item.model);
  } catch (const ApiError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

ImportItem read_model_spec(YamlReader& r, const YAML::Node& node, size_t index,
                           const std::string& fallback_name) {
  ImportItem item;
  item.index = index;
  item.error = read_into(r, node, fallback_name, item);
  for (auto& t : item.templates) t.model_id = item.id;
  return item;
}

}  // namespace hydra::catalog
