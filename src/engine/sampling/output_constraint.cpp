#include "engine/sampling/output_constraint.h"

#include "engine/sampling/json_grammar.h"
#include "engine/sampling/schema_grammar.h"

namespace hydra::engine {

namespace {

// Both grammars are plain values: a candidate is tried on a copy.
template <class Grammar>
class GrammarConstraint : public OutputConstraint {
 public:
  explicit GrammarConstraint(Grammar g) : grammar_(std::move(g)) {}

  bool allows(std::string_view bytes, int64_t budget) const override {
    Grammar next = grammar_;
    if (!next.advance(bytes)) return false;
    return static_cast<int64_t>(next.completion().size()) <= budget;
  }
  void accept(std::string_view bytes) override {
    if (!grammar_.complete()) grammar_.advance(bytes);
  }
  bool complete() const override {
    if constexpr (requires { grammar_.can_continue(); }) {
      // A top-level scalar that cannot grow is as finished as a closed value.
      return grammar_.complete() || (grammar_.may_end() && !grammar_.can_continue());
    } else {
      return grammar_.complete();
    }
  }
  bool may_end() const override {
    if constexpr (requires { grammar_.may_end(); }) {
      return grammar_.may_end();
    } else {
      return grammar_.complete();
    }
  }

 private:
  Grammar grammar_;
};

// Keeps the compiled schema alive as long as the grammar that points into it.
class SchemaConstraint : public GrammarConstraint<SchemaGrammar> {
 public:
  explicit SchemaConstraint(std::shared_ptr<const JsonSchema> schema)
      : GrammarConstraint<SchemaGrammar>(SchemaGrammar(*schema)), schema_(std::move(schema)) {}

 private:
  std::shared_ptr<const JsonSchema> schema_;
};

}  // namespace

std::unique_ptr<OutputConstraint> make_output_constraint(const SamplingParams& params) {
  if (params.json_schema) return std::make_unique<SchemaConstraint>(params.json_schema);
  if (params.json_mode) {
    return std::make_unique<GrammarConstraint<JsonGrammar>>(JsonGrammar(params.json_max_depth));
  }
  return nullptr;
}

}  // namespace hydra::engine
