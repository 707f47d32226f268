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
  path_ = follow_symlinks(requested_);
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

// POSIX calls rather than an ifstream: a directory or a read error then has a reason (errno) to name,
// where a stream throws std::ios_base::failure without the path.
std::string read_file(const std::string& path) {
  auto fail = [&path](const std::string& what) -> std::runtime_error {
    return std::runtime_error("load '" + path + "': " + what);
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw fail(std::string("cannot open the file: ") + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw fail(std::string("cannot stat the file: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw fail("is a directory, not a file");
  // A device or a pipe may never end (/dev/zero); safetensors' own reader maps files, so needs them too.
  if (!S_ISREG(st.st_mode)) throw fail("is not a regular file (a device, FIFO or socket)");
  std::string bytes;
  try {
    bytes.reserve(static_cast<size_t>(st.st_size));
  } catch (const std::exception&) {
    throw fail("the file's " + std::to_string(st.st_size) + " bytes do not fit in memory");
  }
  char chunk[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw fail(std::string("read error after ") + std::to_string(bytes.size()) + " bytes: " + std::strerror(errno));
    }
    if (n == 0) break;
    bytes.append(chunk, static_cast<size_t>(n));
  }
  return bytes;
}

}  // namespace microtorch::io
