#include "catalog/model.h"

#include <algorithm>
#include <cmath>

#include "catalog/names.h"
#include "common/error.h"
#include "common/json.h"

namespace hydra::catalog {
namespace {

bj::array links_json(const std::vector<ModelLink>& links) {
  bj::array a;
  for (const auto& l : links)
    a.push_back(bj::object{{"description", l.description}, {"url", l.url}});
  return a;
}

std::vector<ModelLink> decode_links(const bj::value& v) {
  if (!v.is_array()) throw_param("'links' must be an array", "links");
  std::vector<ModelLink> out;
  for (const auto& item : v.get_array()) {
    json::Fields f(item, "links[]");
    ModelLink l;
    l.description = f.opt_str("description").value_or("");
    l.url = f.str("url");
    f.done();
    out.push_back(std::move(l));
  }
  return out;
}

ModelSources decode_sources(const bj::value& v) {
  json::Fields f(v, "sources");
  ModelSources s;
  s.huggingface = f.opt_str("huggingface").value_or("");
  s.modelscope = f.opt_str("modelscope").value_or("");
  f.done();
  return s;
}

int64_t decode_max_tokens(const bj::value& v) {
  json::Fields f(v, "config");
  int64_t n = f.opt_i64("maxTokens").value_or(0);
  f.done();
  return n;
}

// Fields shared by create and patch; `f` has already consumed "id".
void apply_fields(Model& m, json::Fields& f, bool creating) {
  if (auto v = f.opt_str("display_name")) m.display_name = *v;
  if (auto* v = f.opt_value("description")) m.description = decode_localized(*v, "description");
  if (auto v = f.opt_str("provider_id")) m.provider_id = *v;
  if (auto v = f.opt_str_list("tags")) m.tags = *v;
  if (auto* v = f.opt_value("sources")) m.sources = decode_sources(*v);
  if (auto* v = f.opt_value("config")) m.max_tokens = decode_max_tokens(*v);
  if (auto v = f.opt_str("icon")) m.icon = *v;
  if (auto* v = f.opt_value("links")) m.links = decode_links(*v);
  if (auto* v = f.opt_array("deployments")) m.deployments = *v;
  // After creation the flag changes only through publish/unpublish, which audit it as such.
  if (creating) m.published = f.opt_bool("published").value_or(false);
  if (auto v = f.opt_f64("price_input")) m.price_input = *v;
  if (auto v = f.opt_f64("price_output")) m.price_output = *v;
  f.done();
}

}  // namespace

bj::object to_json(const Model& m) {
  return {
      {"id", m.id},
      {"display_name", m.display_name},
      {"description", to_json(m.description)},
      {"provider_id", m.provider_id},
      {"tags", to_json(m.tags)},
      {"sources", {{"huggingface", m.sources.huggingface}, {"modelscope", m.sources.modelscope}}},
      {"config", {{"maxTokens", m.max_tokens}}},
      {"icon", m.icon},
      {"links", links_json(m.links)},
      {"deployments", m.deployments},
      {"published", m.published},
      {"price_input", m.price_input},
      {"price_output", m.price_output},
      {"created_at", m.created_at},
      {"updated_at", m.updated_at}};
}

void validate_model(Model& m) {
  check_model_id(m.id);
  if (m.display_name.empty()) m.display_name = m.id;
  if (m.display_name.size() > 256) throw_param("'display_name' is too long", "display_name");
  if (!m.provider_id.empty()) check_provider_id(m.provider_id, "provider_id");
  std::vector<std::string> tags;
  for (const auto& t : m.tags) {
    std::string n = normalize_tag(t);
    if (!valid_tag(n)) throw_param("tag '" + t + "' is invalid: use A-Z, 0-9 and '_'", "tags");
    if (std::find(tags.begin(), tags.end(), n) == tags.end()) tags.push_back(n);
  }
  m.tags = std::move(tags);
  if (m.max_tokens < 0) throw_param("'config.maxTokens' must not be negative", "config.maxTokens");
  for (double price : {m.price_input, m.price_output}) {
    if (!std::isfinite(price) || price < 0) {
      throw_param("prices must be finite and not negative", "price_input");
    }
  }
  for (const auto& d : m.deployments) {
    if (!d.is_object()) throw_param("'deployments' must hold objects", "deployments");
  }
}

Model model_from_json(const bj::value& body) {
  json::Fields f(body);
  Model m;
  m.id = f.str("id");
  apply_fields(m, f, true);
  validate_model(m);
  return m;
}

void apply_model_patch(Model& m, const bj::value& body) {
  json::Fields f(body);
  if (auto id = f.opt_str("id"); id && *id != m.id) throw_param("'id' cannot be changed", "id");
  if (f.has("published")) throw_param("use the publish and unpublish actions", "published");
  apply_fields(m, f, false);
  validate_model(m);
}

}  // namespace hydra::catalog
