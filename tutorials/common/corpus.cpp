// Reading the corpus, saying which file is in use.
#include "corpus.h"

#include <cctype>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#ifndef MICROTORCH_TUTORIAL_DATA
#error "tutorials/CMakeLists.txt defines MICROTORCH_TUTORIAL_DATA, the project's data/ folder"
#endif

namespace tutorials {

std::string data_dir() { return MICROTORCH_TUTORIAL_DATA; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read '" + path + "' (check the --data path)");
  std::ostringstream all;
  all << in.rdbuf();
  return all.str();
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
  std::istringstream lines(read_file(file));
  for (std::string line; std::getline(lines, line);) {
    std::string word;
    for (char c : line)
      if (!std::isspace(static_cast<unsigned char>(c))) word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!word.empty()) words.push_back(word);
  }
  if (words.empty()) throw std::runtime_error("no words in '" + file + "' (expected one name per line)");
  return words;
}

std::string load_text(const std::string& path) {
  const std::string file = chosen(path, "tinyshakespeare.txt");
  std::string text = read_file(file);
  if (text.empty()) throw std::runtime_error("'" + file + "' is empty (expected plain text)");
  return text;
}

}  // namespace tutorials
