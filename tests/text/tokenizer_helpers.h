// What the tokenizer tests share: GPT-2's tokenizer loaded once from the project's data/gpt2, and the
// shared tinyshakespeare text (or "" with a WARN/FAIL as conformance::shared_dir says).
#pragma once
#include <string>

#include <microtorch/microtorch.h>

namespace tokenizer_tests {

// data/gpt2 of this checkout (CMake passes the source folder in).
std::string gpt2_dir();
const microtorch::text::GPT2Tokenizer& gpt2();
std::string shared_file(const std::string& sub, const std::string& name);
std::string tinyshakespeare();

}  // namespace tokenizer_tests
