// AtomicFile: temporary file + fsync + rename + directory fsync (POSIX). rename() within one
// directory is atomic, and syncing the directory makes the rename itself survive a power loss.
#include "atomic_file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace microtorch::io {

static std::string directory_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The file a save to `path` must replace: `path` itself, or, when it is a symbolic link, what the link
// (and any link it names) points to, existing or not. Renaming onto the link would replace the link.
static std::string follow_symlinks(const std::string& path) {
  std::string p = path;
  for (int hops = 0; hops < 40; ++hops) {  // 40: Linux's own limit on links followed in one lookup
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p;
    std::string target(static_cast<size_t>(st.st_size > 0 ? st.st_size : 4096) + 1, '\0');
    const ssize_t n = ::readlink(p.c_str(), target.data(), target.size());
    if (n < 0 || static_cast<size_t>(n) >= target.size())
      throw std::runtime_error("save '" + path + "': cannot read the symbolic link '" + p + "': " +
                               std::strerror(errno));
    target.resize(static_cast<size_t>(n));
    p = target[0] == '/' ? target : directory_of(p) + "/" + target;
  }
  throw std::runtime_error("save '" + path + "': too many levels of symbolic links");
}

AtomicFile::AtomicFile(std::string path) : requested_(std::move(path)) {
  // A folder is refused before anything is written (the rename at the end would fail only after the
  // whole file had been written beside it).
  if (requested_.empty()) throw std::runtime_error("save: the path is empty; expected a file path");
  if (requested_.back() == '/')
    throw std::runtime_error("save '" + requested_ + "': the path ends in '/', a folder; expected a file path "
                             "such as '" + requested_ + "model.safetensors'");
  path_ = follow_symlinks(requested_);
  // Nor is a FIFO or a device replaced (the rename would put a regular file where /dev/null was).
  struct stat target {};
  if (::stat(path_.c_str(), &target) == 0 && !S_ISREG(target.st_mode))
    throw std::runtime_error("save '" + requested_ + "': " +
                             (S_ISDIR(target.st_mode) ? "is a directory; expected a file path inside it or beside it"
                                                      : "is not a regular file (a FIFO, device or socket); expected "
                                                        "a regular file or a new path"));
  std::string pattern = path_ + ".tmp-XXXXXX";
  fd_ = ::mkstemp(pattern.data());
  if (fd_ < 0)
    throw std::runtime_error("save '" + requested_ + "': cannot create a temporary file beside " +
                             (path_ == requested_ ? std::string("it") : "its target '" + path_ + "'") + ": " +
                             std::strerror(errno));
  temp_path_ = pattern;
  // mkstemp makes 0600. Replacing a file keeps its permission bits (and, where allowed, its owner);
  // a new checkpoint is an ordinary readable file.
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    ::fchmod(fd_, st.st_mode & 07777);
    if (st.st_uid != ::geteuid() || st.st_gid != ::getegid()) (void)!::fchown(fd_, st.st_uid, st.st_gid);
  } else {
    ::fchmod(fd_, 0644);
  }
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

void AtomicFile::fail(const std::string& what) const {
  throw std::runtime_error("save '" + requested_ + "': " + what + " (" + temp_path_ + "): " + std::strerror(errno) +
                           "; the previous file is unchanged");
}

void AtomicFile::write(const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t done = ::write(fd_, p, n);
    if (done < 0) {
      if (errno == EINTR) continue;
      fail("write failed");
    }
    p += done;
    n -= static_cast<size_t>(done);
  }
}

void AtomicFile::commit() {
  if (::fsync(fd_) != 0) fail("fsync failed");
  if (::close(fd_) != 0) {
    fd_ = -1;
    fail("close failed");
  }
  fd_ = -1;
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) fail("rename failed");
  committed_ = true;
  // Without this the rename may still be only in the page cache when the machine goes down.
  const int dir = ::open(directory_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace microtorch::io
