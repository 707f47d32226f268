// The PCRE2 side of GPT-2's pre-tokeniser (see pretokenize.h).
#include "pretokenize.h"

#include <pcre2.h>

#include <stdexcept>
#include <string>

namespace microtorch::text {

namespace {

// GPT-2's pattern with `\s` spelled \p{White_Space}: that is what `\s` means in Python's `regex` module,
// which GPT-2's encoder.py uses. PCRE2's own `\s` under UCP also matches U+180E (MONGOLIAN VOWEL SEPARATOR,
// whitespace before Unicode 6.3), which would split text differently around that character.
constexpr const char* kPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+)"
    R"(|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+)";

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  pcre2_get_error_message(code, buf, sizeof buf);
  return reinterpret_cast<const char*>(buf);
}

}  // namespace

struct Pretokenizer::Compiled {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Compiled() { pcre2_code_free(code); }
};

Pretokenizer::Pretokenizer() : compiled_(std::make_unique<Compiled>()) {
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  compiled_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kPattern), PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP,
                                  &error, &error_offset, nullptr);
  if (!compiled_->code)
    throw std::runtime_error("GPT2Tokenizer: PCRE2 cannot compile the pre-tokenisation pattern at offset " +
                             std::to_string(error_offset) + ": " + pcre2_message(error));
  // Without JIT support (some platforms) the interpreter gives the same matches, only slower.
  compiled_->jit = pcre2_jit_compile(compiled_->code, PCRE2_JIT_COMPLETE) == 0;
}

Pretokenizer::~Pretokenizer() = default;

bool Pretokenizer::jit() const { return compiled_->jit; }

void Pretokenizer::split(std::string_view text, const std::function<void(std::string_view)>& piece) const {
  // Match data is per call: the compiled pattern is shared between threads, the match state is not.
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> match(
      pcre2_match_data_create_from_pattern(compiled_->code, nullptr), &pcre2_match_data_free);
  if (!match) throw std::bad_alloc();
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t offset = 0;
  while (offset < text.size()) {
    const int rc = compiled_->jit
                       ? pcre2_jit_match(compiled_->code, subject, text.size(), offset, 0, match.get(), nullptr)
                       : pcre2_match(compiled_->code, subject, text.size(), offset, PCRE2_NO_UTF_CHECK, match.get(), nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) throw std::runtime_error("GPT2Tokenizer: PCRE2 matching failed at byte " + std::to_string(offset) +
                                         ": " + pcre2_message(rc));
    const PCRE2_SIZE* range = pcre2_get_ovector_pointer(match.get());
    // Every alternative matches at least one character, so a match always moves forward.
    if (range[1] <= offset) throw std::logic_error("GPT2Tokenizer: empty pre-token at byte " + std::to_string(offset));
    piece(text.substr(range[0], range[1] - range[0]));
    offset = range[1];
  }
}

}  // namespace microtorch::text
