// Reading a whole file that a caller names: the one way the loaders (load, load_npy, the tokenizer's
// from_files) open what they read. The file is opened without blocking, so a FIFO with no writer or a
// device is refused at once instead of hanging open() or reading /dev/zero until memory runs out; only a
// regular file is read, and only up to a size limit.
#pragma once
#include <cstdint>
#include <limits>
#include <string>

namespace microtorch::io {

// The whole file as bytes. std::runtime_error "<who> '<path>': <reason>" when it is missing, a directory,
// not a regular file (a FIFO, a device, a socket), larger than max_bytes, or unreadable.
std::string read_file(const std::string& path, const std::string& who = "load",
                      uint64_t max_bytes = std::numeric_limits<uint64_t>::max());

}  // namespace microtorch::io
