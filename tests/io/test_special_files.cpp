// Loaders given what is not a regular file (issue 30, items 3 and 23): a FIFO with no writer, a directory,
// /dev/zero and /dev/null, a symbolic link loop, and a regular file too large to be a vocabulary. Each loader
// (load, load_metadata, load_into, load_npy, GPT2Tokenizer::from_files) refuses each at once, naming itself,
// the path and what the path is. A FIFO once blocked open() forever and /dev/zero was read until memory ran
// out; the FIFO cases run on a thread that the test unblocks, so a regression fails instead of hanging.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <string>
#include <vector>

namespace mt = microtorch;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "mt_special_XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string gpt2_dir() { return std::string(MICROTORCH_SOURCE_DIR) + "/data/gpt2"; }

// The loaders, each reading `path` as the file it loads (the tokenizer as its encoder.json, then as its
// vocab.bpe), with the name its messages start with.
struct Loader {
  const char* name;
  std::function<void(const std::string&)> load;
};
std::vector<Loader> loaders() {
  return {
      {"load", [](const std::string& p) { mt::load(p); }},
      {"load", [](const std::string& p) { mt::load_metadata(p); }},
      {"load", [](const std::string& p) {
         mt::nn::Linear lin(mt::nn::LinearOptions(2, 2));
         mt::load_into(lin, p);
       }},
      {"load_npy", [](const std::string& p) { mt::load_npy(p); }},
      {"GPT2Tokenizer::from_files", [](const std::string& p) {
         mt::text::GPT2Tokenizer::from_files(p, gpt2_dir() + "/vocab.bpe");
       }},
      {"GPT2Tokenizer::from_files", [](const std::string& p) {
         mt::text::GPT2Tokenizer::from_files(gpt2_dir() + "/encoder.json", p);
       }},
  };
}

// The message of what call throws ("" when it returns), if it ends within 10 s. Else the FIFO at `fifo` is
// opened for writing and closed, which lets a blocked open() and read() finish, and the test fails.
std::string message_within_10s(const std::function<void()>& call, const std::string& fifo = "") {
  auto done = std::async(std::launch::async, [&call]() -> std::string {
    try {
      call();
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  });
  if (done.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    if (!fifo.empty()) {
      const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
      if (fd >= 0) ::close(fd);
    }
    done.wait();
    FAIL("the call did not return within 10 s");
  }
  return done.get();
}

}  // namespace

TEST_CASE("special files: every loader refuses a FIFO at once, without waiting for a writer") {
  TempDir dir;
  const std::string fifo = (dir.path / "pipe").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  for (const Loader& l : loaders()) {
    INFO(l.name);
    const std::string m = message_within_10s([&] { l.load(fifo); }, fifo);
    CHECK_THAT(m, Catch::Contains(l.name) && Catch::Contains(fifo) && Catch::Contains("FIFO") &&
                      Catch::Contains("not a regular file"));
  }
}

TEST_CASE("special files: every loader refuses /dev/zero, /dev/null, a directory and a symbolic link loop") {
  TempDir dir;
  const std::string loop = (dir.path / "loop").string();
  fs::create_symlink(loop, loop);  // a link to itself
  const std::string folder = (dir.path / "folder").string();
  fs::create_directory(folder);
  const std::vector<std::pair<std::string, std::string>> cases{
      {"/dev/zero", "a character device"}, {"/dev/null", "a character device"},
      {folder, "is a directory"}, {loop, "symbolic links"}};
  for (const Loader& l : loaders())
    for (const auto& path_what : cases) {  // named, not a structured binding: a lambda captures path (C++17)
      const std::string &path = path_what.first, &what = path_what.second;
      INFO(l.name << " on " << path);
      const std::string m = message_within_10s([&] { l.load(path); });
      CHECK_THAT(m, Catch::Contains(l.name) && Catch::Contains(path) && Catch::Contains(what));
    }
}

TEST_CASE("special files: the tokenizer refuses a vocabulary file larger than 64 MB before reading it") {
  TempDir dir;
  const std::string big = (dir.path / "encoder.json").string();
  {
    const int fd = ::open(big.c_str(), O_CREAT | O_WRONLY, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, (off_t{64} << 20) + 1) == 0);  // sparse: no disk space used
    ::close(fd);
  }
  const std::string m = message_within_10s([&] { mt::text::GPT2Tokenizer::from_files(big, gpt2_dir() + "/vocab.bpe"); });
  CHECK_THAT(m, Catch::Contains("GPT2Tokenizer::from_files") && Catch::Contains(big) &&
                    Catch::Contains("67108865 bytes") && Catch::Contains("limit of 67108864"));
}

TEST_CASE("special files: a save to a folder names the path and says it is a folder, writing nothing") {
  TempDir dir;
  mt::nn::Linear lin(mt::nn::LinearOptions(2, 2));
  const std::string slash = dir.path.string() + "/";
  REQUIRE_THROWS_WITH(mt::save(lin, slash), Catch::Contains("save '" + slash + "'") && Catch::Contains("folder"));
  REQUIRE_THROWS_WITH(mt::save(lin, dir.path.string()),
                      Catch::Contains("save '" + dir.path.string() + "'") && Catch::Contains("is a directory"));
  REQUIRE_THROWS_WITH(mt::save_npy(lin.weight, slash), Catch::Contains(slash) && Catch::Contains("folder"));
  REQUIRE(fs::is_empty(dir.path));  // no temporary file left behind
}

TEST_CASE("special files: a save onto a FIFO is refused and leaves the FIFO in place") {
  // An atomic save renames a new file over its target: over a FIFO (or /dev/null) that replaced the special
  // file with a regular one.
  TempDir dir;
  const std::string fifo = (dir.path / "pipe").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  REQUIRE_THROWS_WITH(mt::save({{"w", mt::ones({2})}}, fifo),
                      Catch::Contains("save '" + fifo + "'") && Catch::Contains("not a regular file"));
  REQUIRE_THROWS_WITH(mt::save_npy(mt::ones({2}), fifo), Catch::Contains(fifo) && Catch::Contains("not a regular file"));
  REQUIRE(fs::is_fifo(fifo));
}
