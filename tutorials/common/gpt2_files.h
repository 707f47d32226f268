// Where the tutorials find GPT-2's vocabulary: --gpt2 DIR when given, else data/gpt2 under the working
// folder, else data/gpt2 of the checkout this program was built from (so it runs from any folder).
#pragma once
#include <string>

#include <microtorch/microtorch.h>

namespace tutorials {

std::string gpt2_dir(const std::string& given);
// Throws std::runtime_error naming --gpt2 unless gpt2_dir(given) holds readable encoder.json and vocab.bpe.
void check_gpt2_files(const std::string& given);
// GPT2Tokenizer::from_files on gpt2_dir(given)/encoder.json and vocab.bpe.
microtorch::text::GPT2Tokenizer load_gpt2_tokenizer(const std::string& given);

}  // namespace tutorials
