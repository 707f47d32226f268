// Corpora for the tutorials: a real file given with --data, or, with no --data, the small corpus built
// into the project (builtin_corpus.h), so a fresh clone runs every lesson with no download.
#pragma once
#include <string>
#include <vector>

namespace tutorials {

// The whole file as bytes; throws std::runtime_error naming the path when it cannot be read.
std::string read_file(const std::string& path);

// One word per line, lower-cased, empty lines dropped. Empty path: the built-in names, and a note
// saying where the real names.txt comes from.
std::vector<std::string> load_words(const std::string& path);

// Plain text. Empty path: the built-in Shakespeare, and a note on where tinyshakespeare comes from.
std::string load_text(const std::string& path);

}  // namespace tutorials
