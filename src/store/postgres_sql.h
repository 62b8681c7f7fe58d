#pragma once
// The text-level half of the PostgreSQL backend: placeholder rewriting and
// the conversions between Values and PostgreSQL's text format. Pure
// functions, so they are tested without a server.
#include <optional>
#include <string>
#include <string_view>

#include "store/store.h"

namespace hydra::store::pg {

// Rewrites each `?` to $1..$n in order. A `?` inside a string literal
// ('...', E'...'), a quoted identifier, a comment or a dollar-quoted body is
// text, not a placeholder, and is left alone. Sets *count to n.
std::string rewrite_placeholders(std::string_view sql, int* count = nullptr);

// A parameter in PostgreSQL's text format; nullopt for NULL. Doubles keep
// full precision (shortest text that reads back to the same bits).
std::optional<std::string> param_text(const Value& v);

// A result cell in text format, typed by its column's type OID: integers
// (and booleans, as 0/1) become int64, float4/float8/numeric become double,
// everything else stays text.
Value decode_cell(unsigned type_oid, std::string_view text);

}  // namespace hydra::store::pg
