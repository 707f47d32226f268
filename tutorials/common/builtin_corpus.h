// The corpus built into the project, so every tutorial runs on a fresh clone with no data files.
// Written for this project: common first names, and passages of Shakespeare (public domain).
#pragma once
#include <string>

namespace tutorials {

const std::string& builtin_names();        // a few hundred lower-case first names, one per line
const std::string& builtin_shakespeare();  // a few KB of Shakespeare, speakers in the tinyshakespeare layout

}  // namespace tutorials
