// UTF-8 for the tokenizer: a validator that names the first bad byte, and the two directions between
// code points and bytes. Valid means Unicode's well-formed UTF-8 (Table 3-7): no overlong forms, no
// surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace microtorch::text::utf8 {

constexpr size_t kValid = static_cast<size_t>(-1);

// The byte offset where the first ill-formed sequence starts, or kValid. When not valid and `why` is
// given, *why says what is wrong there (e.g. "surrogate U+D800 (bytes 0xed 0xa0 0x80)").
size_t first_invalid(std::string_view s, std::string* why = nullptr);

// Appends the 1-4 byte encoding of code point cp (< 0x110000, not a surrogate) to out.
void append(uint32_t cp, std::string& out);

// The code point starting at s[i]; advances i past it. s must be valid UTF-8 from i on.
uint32_t next(std::string_view s, size_t& i);

}  // namespace microtorch::text::utf8
