#include "catalog/model_import.h"

#include <set>

#include "catalog/model_store.h"
#include "catalog/provider.h"
#include "common/error.h"

namespace hydra::catalog {
namespace {

std::string exists_reason(const std::string& id) {
  return "model '" + id + "' already exists; it was left unchanged (delete or edit it instead)";
}

// Everything one item writes, in the caller's transaction.
void write_item(store::Session& s, const ImportItem& item, const ImportOptions& opts,
                const Actor& actor, ImportResult& out) {
  if (model_exists(s, item.id)) {
    out.status = "exists";
    out.reason = exists_reason(item.id);
    return;
  }
  if (item.provider && !find_provider(s, item.provider->id)) {
    Provider p = *item.provider;
    if (!opts.dry_run) {
      insert_provider(s, p);
      record_change(s, actor, "CreateModelProvider", "provider", p.id, "imported");
    }
  }
  if (!opts.dry_run) {
    Model m = item.model;
    m.published = opts.publish;
    insert_model(s, m);
    for (auto t : item.templates) insert_deployment_template(s, t, false);
    record_change(s, actor, "ImportModel", "model", m.id,
                  std::to_string(item.templates.size()) + " deployment template(s)");
  }
  out.status = "created";
  out.templates = item.templates.size();
}

}  // namespace

std::vector<ImportResult> import_models(store::Store& st, const std::vector<ImportItem>& items,
                                        const ImportOptions& opts, const Actor& actor) {
  std::vector<ImportResult> results;
  std::set<std::string> seen;
  for (const auto& item : items) {
    ImportResult out;
    out.id = item.id;
    out.warnings = item.warnings;
    if (!item.error.empty()) {
      out.status = "invalid";
      out.reason = item.error;
    } else if (!seen.insert(item.id).second) {
      out.status = "exists";
      out.reason =
          "model '" + item.id + "' appears more than once in this import; the first was used";
    } else {
      try {
        st.transact([&](store::Session& s) { write_item(s, item, opts, actor, out); });
      } catch (const ApiError& e) {
        // A race with another writer, or a template the store refused.
        bool conflict = e.code() == ErrorCode::kConflict;
        out.status = conflict ? "exists" : "invalid";
        out.reason = e.what();
        out.templates = 0;
      }
    }
    results.push_back(std::move(out));
  }
  return results;
}

boost::json::object to_json(const std::vector<ImportResult>& results, bool dry_run) {
  boost::json::array items;
  int64_t created = 0, exists = 0, invalid = 0;
  for (const auto& r : results) {
    created += r.status == "created";
    exists += r.status == "exists";
    invalid += r.status == "invalid";
    boost::json::array warnings;
    for (const auto& w : r.warnings) warnings.emplace_back(w);
    items.push_back(boost::json::object{{"id", r.id},
                                        {"status", r.status},
                                        {"reason", r.reason},
                                        {"warnings", std::move(warnings)},
                                        {"templates", r.templates}});
  }
  return {{"dry_run", dry_run},
          {"created", created},
          {"exists", exists},
          {"invalid", invalid},
          {"items", std::move(items)}};
}

}  // namespace hydra::catalog
