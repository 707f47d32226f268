// The UTF-8 validator and converters declared in utf8.h.
#include "utf8.h"

#include <cstdio>

namespace microtorch::text::utf8 {

namespace {

std::string hex_bytes(std::string_view s, size_t from, size_t n) {
  std::string out;
  char buf[8];
  for (size_t k = from; k < from + n && k < s.size(); ++k) {
    std::snprintf(buf, sizeof buf, "%s0x%02x", out.empty() ? "" : " ", static_cast<unsigned char>(s[k]));
    out += buf;
  }
  return out;
}

}  // namespace

size_t first_invalid(std::string_view s, std::string* why) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char b = p[i];
    if (b < 0x80) {  // ASCII, the common case
      ++i;
      continue;
    }
    // Length of the sequence b starts, and the allowed range of its second byte (Table 3-7).
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) len = 2;
    else if (b == 0xE0) { len = 3; lo = 0xA0; }          // below: overlong
    else if (b == 0xED) { len = 3; hi = 0x9F; }          // above: surrogates
    else if (b >= 0xE1 && b <= 0xEF) len = 3;
    else if (b == 0xF0) { len = 4; lo = 0x90; }          // below: overlong
    else if (b == 0xF4) { len = 4; hi = 0x8F; }          // above: > U+10FFFF
    else if (b >= 0xF1 && b <= 0xF3) len = 4;
    if (len == 0) {
      if (why) {
        *why = b < 0xC0   ? "unexpected continuation byte " + hex_bytes(s, i, 1)
               : b < 0xC2 ? "overlong 2-byte sequence starting " + hex_bytes(s, i, 1)
                          : "byte " + hex_bytes(s, i, 1) + " never appears in UTF-8 (it would encode above U+10FFFF)";
      }
      return i;
    }
    for (size_t k = 1; k < len; ++k) {
      if (i + k >= n) {
        if (why) *why = "truncated " + std::to_string(len) + "-byte sequence (" + hex_bytes(s, i, k) + ", then the end)";
        return i;
      }
      const unsigned char c = p[i + k];
      const bool ok = k == 1 ? c >= lo && c <= hi : c >= 0x80 && c <= 0xBF;
      if (!ok) {
        if (why) {
          if (k == 1 && b == 0xED && c >= 0xA0 && c <= 0xBF)
            *why = "surrogate code point (bytes " + hex_bytes(s, i, len) + ")";
          else if (k == 1 && (b == 0xE0 || b == 0xF0) && c >= 0x80 && c < lo)
            *why = "overlong " + std::to_string(len) + "-byte sequence (bytes " + hex_bytes(s, i, len) + ")";
          else if (k == 1 && b == 0xF4 && c > hi && c <= 0xBF)
            *why = "code point above U+10FFFF (bytes " + hex_bytes(s, i, len) + ")";
          else
            *why = "byte " + hex_bytes(s, i + k, 1) + " at offset " + std::to_string(i + k) + " does not continue the " +
                   std::to_string(len) + "-byte sequence started by " + hex_bytes(s, i, 1);
        }
        return i;
      }
    }
    i += len;
  }
  return kValid;
}

void append(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

uint32_t next(std::string_view s, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(s[k])); };
  const uint32_t b = byte(i);
  if (b < 0x80) { i += 1; return b; }
  if (b < 0xE0) { i += 2; return (b & 0x1F) << 6 | (byte(i - 1) & 0x3F); }
  if (b < 0xF0) { i += 3; return (b & 0x0F) << 12 | (byte(i - 2) & 0x3F) << 6 | (byte(i - 1) & 0x3F); }
  i += 4;
  return (b & 0x07) << 18 | (byte(i - 3) & 0x3F) << 12 | (byte(i - 2) & 0x3F) << 6 | (byte(i - 1) & 0x3F);
}

}  // namespace microtorch::text::utf8
