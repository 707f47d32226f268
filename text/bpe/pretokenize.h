// GPT-2's pre-tokenisation: text is cut into pieces by one regular expression before any merging, so a
// merge never crosses a word, number, punctuation or whitespace boundary:
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// matched with PCRE2 (UTF, Unicode properties, JIT-compiled). `\s+(?!\S)` leaves the last space of a run
// to start the next word (" world"), so "a   b" is "a", "  ", " b".
#pragma once
#include <functional>
#include <memory>
#include <string_view>

namespace microtorch::text {

class Pretokenizer {
 public:
  Pretokenizer();  // compiles the pattern once; std::runtime_error if PCRE2 refuses it
  ~Pretokenizer();
  Pretokenizer(const Pretokenizer&) = delete;
  Pretokenizer& operator=(const Pretokenizer&) = delete;

  // Calls piece(p) for each match in text, left to right (as Python's regex.findall). text must be valid
  // UTF-8 (it is not checked again). Safe to call from several threads at once.
  void split(std::string_view text, const std::function<void(std::string_view)>& piece) const;

  bool jit() const;  // whether PCRE2's JIT compiled the pattern (else the interpreter matches)

 private:
  struct Compiled;  // the pcre2_code, kept out of this installed header
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace microtorch::text
