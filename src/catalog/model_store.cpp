#include "catalog/model_store.h"

#include "catalog/provider.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/json.h"

namespace hydra::catalog {
namespace {

constexpr const char* kColumns =
    "id, display_name, description_en, description_zh, provider_id, icon, links, sources, config, "
    "deployments, published, price_input, price_output, created_at, updated_at";

std::vector<ModelLink> links_from(std::string_view text) {
  std::vector<ModelLink> out;
  for (const auto& v : read_array(text)) {
    if (!v.is_object()) continue;
    const auto& o = v.get_object();
    ModelLink l;
    if (auto* d = o.if_contains("description"); d && d->is_string())
      l.description = d->get_string();
    if (auto* u = o.if_contains("url"); u && u->is_string()) l.url = u->get_string();
    out.push_back(std::move(l));
  }
  return out;
}

std::string links_text(const std::vector<ModelLink>& links) {
  bj::array a;
  for (const auto& l : links)
    a.push_back(bj::object{{"description", l.description}, {"url", l.url}});
  return json::dump(a);
}

Model from_row(const store::Rows::Row& r) {
  Model m;
  m.id = r.str("id");
  m.display_name = r.str("display_name");
  m.description = {r.str("description_en"), r.str("description_zh")};
  m.provider_id = r.str("provider_id");
  m.icon = r.str("icon");
  m.links = links_from(r.str("links"));
  auto sources = read_string_map(r.str("sources"));
  m.sources = {sources["huggingface"], sources["modelscope"]};
  auto config = read_object(r.str("config"));
  if (auto* n = config.if_contains("maxTokens"); n && n->is_int64()) m.max_tokens = n->get_int64();
  m.deployments = read_array(r.str("deployments"));
  m.published = r.boolean("published");
  m.price_input = r.f64("price_input");
  m.price_output = r.f64("price_output");
  m.created_at = r.i64("created_at");
  m.updated_at = r.i64("updated_at");
  return m;
}

store::Params row_params(const Model& m) {
  return {m.display_name,
          m.description.en_us,
          m.description.zh_cn,
          m.provider_id,
          m.icon,
          links_text(m.links),
          json::dump(bj::object{{"huggingface", m.sources.huggingface},
                                {"modelscope", m.sources.modelscope}}),
          json::dump(bj::object{{"maxTokens", m.max_tokens}}),
          json::dump(m.deployments),
          int64_t{m.published ? 1 : 0},
          m.price_input,
          m.price_output,
          m.updated_at,
          m.id};
}

void load_tags(store::Session* s, store::Store* st, std::vector<Model>& models) {
  if (models.empty()) return;
  std::string sql = "SELECT model_id, tag FROM model_tags WHERE model_id IN (";
  store::Params params;
  for (size_t i = 0; i < models.size(); ++i) {
    sql += i ? ", ?" : "?";
    params.emplace_back(models[i].id);
  }
  sql += ") ORDER BY model_id, tag";
  auto rows = s ? s->query(sql, params) : st->query(sql, params);
  for (auto& m : models) {
    for (auto r : rows) {
      if (r.str("model_id") == m.id) m.tags.push_back(r.str("tag"));
    }
  }
}

void write_tags(store::Session& s, const Model& m) {
  s.exec("DELETE FROM model_tags WHERE model_id = ?", {m.id});
  for (const auto& t : m.tags) {
    s.exec("INSERT INTO model_tags (model_id, tag) VALUES (?, ?)", {m.id, t});
  }
}

void check_provider_exists(store::Session& s, const Model& m) {
  if (!m.provider_id.empty() && !find_provider(s, m.provider_id)) {
    throw_param("provider '" + m.provider_id + "' does not exist; create it first", "provider_id");
  }
}

// WHERE clause for the filter; appends its parameters to `params`.
std::string where_clause(const ModelFilter& f, store::Params& params) {
  std::string w = " WHERE 1 = 1";
  if (!f.providers.empty()) {
    w += " AND provider_id IN (";
    for (size_t i = 0; i < f.providers.size(); ++i) {
      w += i ? ", ?" : "?";
      params.emplace_back(f.providers[i]);
    }
    w += ")";
  }
  if (!f.tags.empty()) {
    w += " AND id IN (SELECT model_id FROM model_tags WHERE tag IN (";
    for (size_t i = 0; i < f.tags.size(); ++i) {
      w += i ? ", ?" : "?";
      params.emplace_back(f.tags[i]);
    }
    w += "))";
  }
  if (!f.keyword.empty()) {
    w += " AND (";
    const char* cols[] = {"id", "display_name", "description_en", "description_zh"};
    for (size_t i = 0; i < 4; ++i) {
      if (i) w += " OR ";
      w += std::string("LOWER(") + cols[i] + ") LIKE LOWER(?) ESCAPE '\\'";
      params.emplace_back(store::like_pattern(f.keyword));
    }
    w += ")";
  }
  if (f.published) {
    w += " AND published = ?";
    params.emplace_back(int64_t{*f.published ? 1 : 0});
  }
  return w;
}

}  // namespace

ModelPage list_models(store::Store& st, const ModelFilter& filter) {
  store::Params params;
  std::string where = where_clause(filter, params);
  ModelPage page;
  page.total = st.query("SELECT COUNT(*) AS n FROM models" + where, params)[0].i64("n");
  params.emplace_back(filter.limit);
  params.emplace_back(filter.offset);
  auto rows = st.query(
      std::string("SELECT ") + kColumns + " FROM models" + where + " ORDER BY id LIMIT ? OFFSET ?",
      params);
  for (auto r : rows) page.items.push_back(from_row(r));
  load_tags(nullptr, &st, page.items);
  return page;
}

std::optional<Model> find_model(store::Session& s, const std::string& id) {
  auto rows = s.query(std::string("SELECT ") + kColumns + " FROM models WHERE id = ?", {id});
  if (rows.empty()) return std::nullopt;
  std::vector<Model> one{from_row(rows[0])};
  load_tags(&s, nullptr, one);
  return one[0];
}

Model get_model(store::Store& st, const std::string& id) {
  std::optional<Model> m;
  st.transact([&](store::Session& s) { m = find_model(s, id); });
  if (!m) throw_not_found("model '" + id + "'");
  return *m;
}

bool model_exists(store::Session& s, const std::string& id) {
  return !s.query("SELECT id FROM models WHERE id = ?", {id}).empty();
}

void insert_model(store::Session& s, Model& m) {
  if (model_exists(s, m.id)) throw_conflict("model '" + m.id + "' already exists");
  check_provider_exists(s, m);
  m.created_at = m.updated_at = now_ms();
  store::Params p = row_params(m);
  p.push_back(m.created_at);
  try {
    s.exec(
        "INSERT INTO models (display_name, description_en, description_zh, provider_id, icon, "
        "links, sources, config, deployments, published, price_input, price_output, "
        "updated_at, id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        p);
  } catch (const store::UniqueViolation&) {
    throw_conflict("model '" + m.id + "' already exists");
  }
  write_tags(s, m);
}

Model create_model(store::Store& st, Model m, const Actor& actor) {
  validate_model(m);
  st.transact([&](store::Session& s) {
    insert_model(s, m);
    record_change(s, actor, "CreateModel", "model", m.id);
  });
  return m;
}

Model update_model(store::Store& st, const std::string& id, const bj::value& patch,
                   const Actor& actor) {
  Model m;
  st.transact([&](store::Session& s) {
    auto found = find_model(s, id);
    if (!found) throw_not_found("model '" + id + "'");
    m = std::move(*found);
    apply_model_patch(m, patch);
    check_provider_exists(s, m);
    m.updated_at = now_ms();
    s.exec(
        "UPDATE models SET display_name = ?, description_en = ?, description_zh = ?, "
        "provider_id = ?, icon = ?, links = ?, sources = ?, config = ?, deployments = ?, "
        "published = ?, price_input = ?, price_output = ?, updated_at = ? WHERE id = ?",
        row_params(m));
    write_tags(s, m);
    record_change(s, actor, "UpdateModel", "model", m.id);
  });
  return m;
}

void delete_model(store::Store& st, const std::string& id, const Actor& actor) {
  st.transact([&](store::Session& s) {
    if (!model_exists(s, id)) throw_not_found("model '" + id + "'");
    // Explicit rather than relying on ON DELETE CASCADE being enabled on every backend.
    s.exec("DELETE FROM deployment_templates WHERE model_id = ?", {id});
    s.exec("DELETE FROM model_tags WHERE model_id = ?", {id});
    s.exec("DELETE FROM models WHERE id = ?", {id});
    record_change(s, actor, "DeleteModel", "model", id);
  });
}

Model set_published(store::Store& st, const std::string& id, bool published, const Actor& actor) {
  Model m;
  st.transact([&](store::Session& s) {
    if (s.exec("UPDATE models SET published = ?, updated_at = ? WHERE id = ?",
               {int64_t{published ? 1 : 0}, now_ms(), id}) == 0) {
      throw_not_found("model '" + id + "'");
    }
    record_change(s, actor, published ? "PublishModel" : "UnPublishModel", "model", id);
    m = *find_model(s, id);
  });
  return m;
}

}  // namespace hydra::catalog
