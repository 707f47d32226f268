// io::MappedFile: a file mapped read-only into memory (mmap). Its bytes come from the page cache as they are
// read, with no copy in the process; release() hands pages that are done with back, so a loader that reads
// a large file once, front to back, keeps only what it is reading resident.
//   mt::io::MappedFile f("model.safetensors");
//   const unsigned char* p = f.data();   // f.size() bytes, valid while f lives
// The file must not be truncated while it is mapped (reading a page past its new end is a SIGBUS, as for
// any mapping): loaders copy what they need and drop the mapping before returning.
#pragma once
#include <cstddef>
#include <string>

namespace microtorch::io {

class MappedFile {
 public:
  // std::runtime_error naming the path and the reason (missing, a directory, not a regular file, unreadable).
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const unsigned char* data() const { return data_; }  // nullptr for an empty file
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // The bytes [offset, offset + n) will not be read again soon: their whole pages leave this process's
  // resident set (the page cache keeps them; reading them again maps them back). Out-of-range parts ignored.
  void release(size_t offset, size_t n) const;

 private:
  std::string path_;
  unsigned char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace microtorch::io
