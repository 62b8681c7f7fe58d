#pragma once
// Tensor names. The engine asks for weights by their GGUF (llama.cpp) names;
// a Hugging Face checkpoint answers under its own names, mapped here.
#include <string>
#include <vector>

namespace hydra::engine {

// The Hugging Face names a GGUF tensor name may appear under, most likely
// first; empty when the name has no counterpart.
std::vector<std::string> hf_names_for(const std::string& gguf_name, bool bert);

// "blk.<layer>.<suffix>"
std::string layer_tensor(int64_t layer, const char* suffix);

}  // namespace hydra::engine
