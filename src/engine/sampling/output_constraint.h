#pragma once
// What constrained decoding asks of a grammar, so the sampler treats JSON
// mode (any object, json_grammar.h) and JSON-schema mode (schema_grammar.h)
// alike: may these bytes come next and still be finished within a budget,
// take them, is the value closed, may the sequence end here.
#include <cstdint>
#include <memory>
#include <string_view>

#include "engine/sampling/sampling_params.h"

namespace hydra::engine {

class OutputConstraint {
 public:
  virtual ~OutputConstraint() = default;
  // `bytes` may come next, and the value can then still be finished with
  // at most `budget` more bytes.
  virtual bool allows(std::string_view bytes, int64_t budget) const = 0;
  virtual void accept(std::string_view bytes) = 0;
  // Closed: nothing may follow (generation stops).
  virtual bool complete() const = 0;
  // An end token may come now.
  virtual bool may_end() const = 0;
};

// The constraint `params` ask for (json_schema wins over json_mode), or null.
std::unique_ptr<OutputConstraint> make_output_constraint(const SamplingParams& params);

}  // namespace hydra::engine
