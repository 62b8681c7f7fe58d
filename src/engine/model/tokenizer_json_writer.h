#pragma once
// Writes a vocabulary as a Hugging Face tokenizer.json that the tokenizer
// module reads back into an equivalent tokenizer (same ids for any text):
// byte-level BPE with the split pattern of its pre-tokenizer family,
// SentencePiece-style BPE (merges derived from the token scores) with byte
// fallback, or WordPiece.
#include <string>

#include "engine/tokenizer/vocab.h"

namespace hydra::engine {

// Throws FormatError for a vocabulary kind or family it cannot express.
std::string tokenizer_json_from_vocab(const VocabData& vocab);

}  // namespace hydra::engine
