// A character vocabulary: each distinct character of a text gets an id in 0..V-1 (byte order), after
// any special characters given first (the names use '.' as id 0, the start and end of every word).
#pragma once
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace tutorials {

class CharVocab {
 public:
  CharVocab(const std::string& text, const std::string& specials = "") {
    id_.fill(-1);
    for (char c : specials) add(c);
    std::array<bool, 256> seen{};
    for (char c : text) seen[static_cast<unsigned char>(c)] = true;
    for (int b = 0; b < 256; ++b)
      if (seen[b]) add(static_cast<char>(b));
  }
  int64_t size() const { return static_cast<int64_t>(chars_.size()); }
  char ch(int64_t id) const { return chars_.at(static_cast<size_t>(id)); }
  int64_t id(char c) const {
    const int64_t i = id_[static_cast<unsigned char>(c)];
    if (i < 0) throw std::out_of_range(std::string("character '") + c + "' is not in the vocabulary");
    return i;
  }
  std::vector<int64_t> encode(const std::string& s) const {
    std::vector<int64_t> ids;
    ids.reserve(s.size());
    for (char c : s) ids.push_back(id(c));
    return ids;
  }
  const std::string& chars() const { return chars_; }

 private:
  void add(char c) {
    if (id_[static_cast<unsigned char>(c)] >= 0) return;
    id_[static_cast<unsigned char>(c)] = size();
    chars_ += c;
  }
  std::string chars_;              // id -> character
  std::array<int64_t, 256> id_{};  // byte -> id, -1 when absent
};

}  // namespace tutorials
