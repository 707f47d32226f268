// read_file: open(O_NONBLOCK), fstat, refuse what is not a regular file, then read it whole.
#include "read_file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace microtorch::io {

// POSIX calls rather than an ifstream: a directory or a read error then has a reason (errno) to name,
// where a stream throws std::ios_base::failure without the path.
std::string read_file(const std::string& path, const std::string& who, uint64_t max_bytes) {
  auto fail = [&](const std::string& what) { return std::runtime_error(who + " '" + path + "': " + what); };
  // O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, forever if none comes. O_NOCTTY:
  // a terminal device named by mistake does not become our controlling terminal.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) throw fail(std::string("cannot open the file: ") + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw fail(std::string("cannot stat the file: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw fail("is a directory, not a regular file");
  // A device or a pipe may never end (/dev/zero); safetensors' own reader maps files, so needs them too.
  if (!S_ISREG(st.st_mode)) {
    const char* kind = S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISCHR(st.st_mode) ? "a character device"
                       : S_ISBLK(st.st_mode) ? "a block device" : S_ISSOCK(st.st_mode) ? "a socket" : "not a file";
    throw fail(std::string("is ") + kind + ", not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes)
    throw fail("the file has " + std::to_string(st.st_size) + " bytes, more than the limit of " +
               std::to_string(max_bytes) + " for this kind of file");
  // A regular file: back to ordinary blocking reads (O_NONBLOCK has no effect on them, but say what we mean).
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
    throw fail(std::string("cannot set the file to blocking reads: ") + std::strerror(errno));
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
    if (bytes.size() + static_cast<size_t>(n) > max_bytes)  // the file grew while being read
      throw fail("the file grew past the limit of " + std::to_string(max_bytes) + " bytes while being read");
    bytes.append(chunk, static_cast<size_t>(n));
  }
  return bytes;
}

}  // namespace microtorch::io
