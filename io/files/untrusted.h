// Untrusted text from a file or a caller, made safe to parse and to quote. The safetensors reader scans
// the JSON header with check_json_text before nlohmann-json sees it (nlohmann recurses once per nesting
// level when it serialises, so a 100,000-deep array overflows the stack), and error messages quote
// names through printable() instead of serialising JSON values (which may be megabytes, or malformed).
#pragma once
#include <cstddef>
#include <string>

namespace microtorch::io {

constexpr int kMaxJsonDepth = 16;  // a safetensors header needs 3: header, entry, shape

// "" if the JSON text nests at most max_depth containers and every string is valid UTF-8; otherwise
// what is wrong, with the byte offset. Only depth and UTF-8: the grammar is the parser's job.
std::string check_json_text(const char* text, size_t n, int max_depth = kMaxJsonDepth);

// The offset of the first byte of s that breaks UTF-8 (overlong forms and surrogates included), or npos.
size_t invalid_utf8_at(const std::string& s);

// s for a message: printable ASCII and valid multi-byte UTF-8 kept, any other byte as \xNN, cut after
// max_bytes with "...".
std::string printable(const std::string& s, size_t max_bytes = 64);

}  // namespace microtorch::io
