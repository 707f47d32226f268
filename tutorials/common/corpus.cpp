// Reading the corpus, saying which file is in use.
#include "corpus.h"

#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "cli.h"

#ifndef MICROTORCH_TUTORIAL_DATA
#error "tutorials/CMakeLists.txt defines MICROTORCH_TUTORIAL_DATA, the project's data/ folder"
#endif

namespace tutorials {

std::string data_dir() { return MICROTORCH_TUTORIAL_DATA; }

std::string read_file(const std::string& path) {
  check_input_file(path, "--data");  // a folder or a FIFO is named as such, not read as an empty file
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("--data '" + path + "': cannot be read");
  std::ostringstream all;
  all << in.rdbuf();
  return all.str();
}

// Text is what the lessons learn from: a NUL byte or a byte sequence that is not UTF-8 means a binary file
// was given (a model, an archive), which no lesson can use.
static void check_text(const std::string& file, const std::string& bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  for (size_t i = 0; i < bytes.size();) {
    const unsigned char c = p[i];
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = c != 0 && len != 0 && i + len <= bytes.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (p[i + k] & 0xC0) == 0x80;
    if (!ok) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", c);
      throw std::runtime_error("--data '" + file + "': not a text file (byte " + hex + " at offset " +
                               std::to_string(i) + " is not UTF-8 text); expected plain text");
    }
    i += len;
  }
}

namespace {

// The file to read: the given path, or the project's copy of the default corpus.
std::string chosen(const std::string& path, const char* default_file) {
  const std::string file = path.empty() ? data_dir() + "/" + default_file : path;
  std::cout << "corpus: " << file << "\n";
  return file;
}

}  // namespace

std::vector<std::string> load_words(const std::string& path) {
  const std::string file = chosen(path, "names.txt");
  std::vector<std::string> words;
  const std::string bytes = read_file(file);
  check_text(file, bytes);
  std::istringstream lines(bytes);
  for (std::string line; std::getline(lines, line);) {
    std::string word;
    for (char c : line)
      if (!std::isspace(static_cast<unsigned char>(c))) word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!word.empty()) words.push_back(word);
  }
  if (words.empty()) throw std::runtime_error("--data '" + file + "': no words (expected one name per line)");
  return words;
}

std::string load_text(const std::string& path) {
  const std::string file = chosen(path, "tinyshakespeare.txt");
  std::string text = read_file(file);
  if (text.empty()) throw std::runtime_error("--data '" + file + "': the file is empty (expected plain text)");
  check_text(file, text);
  return text;
}

}  // namespace tutorials
