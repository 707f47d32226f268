// Corpora for the tutorials: the project's own data/ files by default (names.txt, tinyshakespeare.txt; see
// data/README.md for where they come from), or any file given with --data.
#pragma once
#include <string>
#include <vector>

namespace tutorials {

// The project's data/ folder, compiled in by CMake so the lessons run from any working folder.
std::string data_dir();

// The whole file as bytes; throws std::runtime_error naming the path when it cannot be read.
std::string read_file(const std::string& path);

// One word per line, lower-cased, empty lines dropped. Empty path: data/names.txt.
std::vector<std::string> load_words(const std::string& path);

// Plain text. Empty path: data/tinyshakespeare.txt.
std::string load_text(const std::string& path);

}  // namespace tutorials
