// Depth and UTF-8 checks over raw JSON text, and quoting of untrusted strings for messages.
#include "untrusted.h"

#include <cstdint>

namespace microtorch::io {

// The length of the valid UTF-8 sequence starting at s[i], or 0 if it is not one.
static size_t utf8_length(const unsigned char* s, size_t n, size_t i) {
  const unsigned char c = s[i];
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if (c >= 0xc2 && c <= 0xdf) len = 2, cp = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef) len = 3, cp = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4) len = 4, cp = c & 0x07;
  else return 0;  // a continuation byte, an overlong lead (0xc0, 0xc1) or beyond U+10FFFF
  if (i + len > n) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((s[i + k] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (s[i + k] & 0x3f);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) return 0;  // overlong, too large
  if (cp >= 0xd800 && cp <= 0xdfff) return 0;                                                 // a surrogate
  return len;
}

size_t invalid_utf8_at(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0; i < s.size();) {
    const size_t len = utf8_length(p, s.size(), i);
    if (len == 0) return i;
    i += len;
  }
  return std::string::npos;
}

static std::string hex_byte(unsigned char c) {
  const char* digits = "0123456789abcdef";
  return std::string("\\x") + digits[c >> 4] + digits[c & 15];
}

std::string printable(const std::string& s, size_t max_bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::string out;
  size_t i = 0;
  while (i < s.size() && i < max_bytes) {
    const size_t len = utf8_length(p, s.size(), i);
    if (len > 1) out.append(s, i, len);
    else if (len == 1 && p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') out += s[i];
    else out += hex_byte(p[i]);
    i += len > 0 ? len : 1;
  }
  return i < s.size() ? out + "..." : out;
}

std::string check_json_text(const char* text, size_t n, int max_depth) {
  const auto* p = reinterpret_cast<const unsigned char*>(text);
  int depth = 0;
  for (size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    if (c == '"') {  // a string: skip escapes, check the UTF-8 of every other byte
      for (++i; i < n && p[i] != '"';) {
        if (p[i] == '\\') {
          i += 2;
          continue;
        }
        const size_t len = utf8_length(p, n, i);
        if (len == 0)
          return "a string holds invalid UTF-8 (byte 0" + hex_byte(p[i]).substr(1) + " at header byte " +
                 std::to_string(i) + ")";
        i += len;
      }
      ++i;  // the closing quote (an unterminated string is the parser's to report)
      continue;
    }
    if (c == '[' || c == '{') {
      if (++depth > max_depth)
        return "JSON nested deeper than " + std::to_string(max_depth) + " levels at header byte " + std::to_string(i) +
               " (a safetensors header needs 3)";
    } else if (c == ']' || c == '}') {
      --depth;
    }
    ++i;
  }
  return "";
}

}  // namespace microtorch::io
