// The search for data/gpt2 declared in gpt2_files.h.
#include "gpt2_files.h"

#include <filesystem>

#include "cli.h"

namespace tutorials {

std::string gpt2_dir(const std::string& given) {
  if (!given.empty()) return given;
  if (std::filesystem::exists("data/gpt2/encoder.json")) return "data/gpt2";
  return std::string(MICROTORCH_SOURCE_DIR) + "/data/gpt2";
}

void check_gpt2_files(const std::string& given) {
  const std::string dir = gpt2_dir(given);
  check_input_file(dir + "/encoder.json", "--gpt2");
  check_input_file(dir + "/vocab.bpe", "--gpt2");
}

microtorch::text::GPT2Tokenizer load_gpt2_tokenizer(const std::string& given) {
  const std::string dir = gpt2_dir(given);
  return microtorch::text::GPT2Tokenizer::from_files(dir + "/encoder.json", dir + "/vocab.bpe");
}

}  // namespace tutorials
