// Files that are replaced whole or not at all. AtomicFile writes into a temporary file beside the
// target and, on commit(), flushes it to disk, renames it over the target and syncs the directory,
// so a crash at any moment leaves either the old file or the complete new one, never a torn mix.
//   AtomicFile f(path); f.write(bytes, n); f.commit();   // no commit (an exception): target untouched
#pragma once
#include <cstddef>
#include <string>

namespace microtorch::io {

class AtomicFile {
 public:
  // Creates "<target>.tmp-XXXXXX" beside the target: `path`, or the file a symbolic link `path` points to
  // (a save writes through the link, as open() would). Replacing a file keeps its permission bits. A path
  // ending in '/', a directory, a FIFO or a device is refused (std::runtime_error) before anything is written.
  explicit AtomicFile(std::string path);
  ~AtomicFile();                          // removes the temporary file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t n);  // all n bytes or std::runtime_error
  void commit();                           // fsync, rename over the target, fsync the directory
  const std::string& temp_path() const { return temp_path_; }

 private:
  [[noreturn]] void fail(const std::string& what) const;
  std::string requested_, path_, temp_path_;  // as given, the file replaced, the temporary
  int fd_ = -1;
  bool committed_ = false;
};


}  // namespace microtorch::io
