#pragma once
// Vocabulary from a Hugging Face tokenizer.json (and optionally the
// tokenizer_config.json beside it). Supported: BPE (byte-level, or
// SentencePiece-style with byte fallback) and WordPiece. The pre-tokenizer
// family is recognised from the published split patterns.
#include <string>
#include <string_view>

#include "engine/format/tokenizer_config.h"
#include "engine/tokenizer/vocab.h"

namespace hydra::engine {

// Throws FormatError on malformed JSON, unsupported models or patterns.
VocabData vocab_from_tokenizer_json(std::string_view tokenizer_json,
                                    const TokenizerConfig* config = nullptr);
// Reads tokenizer.json (and tokenizer_config.json when present) from a model
// directory.
VocabData read_hf_vocab(const std::string& dir);

}  // namespace hydra::engine
