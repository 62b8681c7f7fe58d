#pragma once
// Vocabulary from GGUF metadata (the tokenizer.ggml.* keys).
#include "engine/format/gguf.h"
#include "engine/tokenizer/vocab.h"

namespace hydra::engine {

// Throws FormatError when a required key is missing or has the wrong type.
VocabData vocab_from_gguf(const GgufFile& file);

}  // namespace hydra::engine
