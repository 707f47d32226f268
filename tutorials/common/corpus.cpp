// Reading --data files and falling back to the built-in corpus, saying which one is in use.
#include "corpus.h"

#include <cctype>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "builtin_corpus.h"

namespace tutorials {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read '" + path + "' (check the --data path)");
  std::ostringstream all;
  all << in.rdbuf();
  return all.str();
}

std::vector<std::string> load_words(const std::string& path) {
  std::string text;
  if (path.empty()) {
    text = builtin_names();
    std::cout << "corpus: the built-in names (tutorials/common/builtin_names.cpp). For the real one run with\n"
                 "  --data names.txt  (makemore's 32k names, MIT: https://github.com/karpathy/makemore)\n";
  } else {
    text = read_file(path);
    std::cout << "corpus: " << path << "\n";
  }
  std::vector<std::string> words;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::string word;
    for (char c : line)
      if (!std::isspace(static_cast<unsigned char>(c))) word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!word.empty()) words.push_back(word);
  }
  if (words.empty()) throw std::runtime_error("no words in '" + path + "' (expected one name per line)");
  return words;
}

std::string load_text(const std::string& path) {
  if (!path.empty()) {
    std::cout << "corpus: " << path << "\n";
    return read_file(path);
  }
  std::cout << "corpus: the built-in Shakespeare (tutorials/common/builtin_shakespeare.cpp). For the real one\n"
               "  run with --data tinyshakespeare.txt  (Karpathy's char-rnn, 1.1 MB of Shakespeare's plays:\n"
               "  https://github.com/karpathy/char-rnn/tree/master/data/tinyshakespeare)\n";
  return builtin_shakespeare();
}

}  // namespace tutorials
