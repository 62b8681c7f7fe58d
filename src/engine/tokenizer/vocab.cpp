#include "engine/tokenizer/vocab.h"

namespace hydra::engine {

void apply_family_defaults(VocabData& v) {
  if (v.model == "llama") {
    v.add_bos = true;
    v.add_eos = false;
    v.add_space_prefix = true;
  } else if (v.model == "bert") {
    v.add_bos = true;  // [CLS]
    v.add_sep = true;  // [SEP]
    v.add_space_prefix = false;
  } else if (v.model == "gpt2") {
    v.add_space_prefix = false;
    // Llama 3 style vocabularies start every sequence with BOS and keep whole
    // words that are tokens without merging.
    bool llama3 = v.pre == "llama-bpe" || v.pre == "llama3" || v.pre == "llama-v3" ||
                  v.pre == "falcon3" || v.pre == "pixtral";
    v.add_bos = llama3;
    v.ignore_merges = llama3;
  }
}

}  // namespace hydra::engine
