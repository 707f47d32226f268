// libFuzzer target: the loaders given paths that are not what they expect. The input picks a path (a FIFO
// with no writer, a FIFO behind a symbolic link, a directory, a path ending in '/', /dev/zero, /dev/null,
// /dev/urandom, a symbolic link loop, a dangling link, a chain of links to a regular file, a regular file
// with fuzzed bytes, an empty path, a very long path) and a loader (load, load_metadata, load_into,
// load_npy, GPT2Tokenizer::from_files as either file) or a saver (save, save_npy). Invariants: every call
// returns or throws std::runtime_error / std::invalid_argument, at once: a loader blocked in open() or
// reading a device without end is a finding (libFuzzer's -timeout, or -rss_limit_mb for a device read
// into memory); so is a crash, a sanitizer report or any other exception. The special files live in one
// folder made when the process starts and removed when it ends.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>
#include <microtorch/microtorch.h>

#include "common.h"

namespace mt = microtorch;
namespace fs = std::filesystem;

const char* const fuzz::target = "fuzz_special_files";

namespace {

// The fixed special files, made once.
struct Scene {
  std::string dir, fifo, fifo_link, folder, loop, dangling, chain, regular, npy, encoder, vocab;
  Scene() {
    std::string pattern = (fs::temp_directory_path() / "mt_fuzz_special_XXXXXX").string();
    if (!::mkdtemp(pattern.data())) std::abort();
    dir = pattern;
    fifo = dir + "/pipe";
    if (::mkfifo(fifo.c_str(), 0600) != 0) std::abort();
    fifo_link = dir + "/to_pipe";
    fs::create_symlink(fifo, fifo_link);
    folder = dir + "/folder";
    fs::create_directory(folder);
    loop = dir + "/loop";
    fs::create_symlink(loop, loop);
    dangling = dir + "/dangling";
    fs::create_symlink(dir + "/absent", dangling);
    regular = dir + "/regular";
    chain = dir + "/chain0";
    fs::create_symlink(regular, dir + "/chain2");
    fs::create_symlink(dir + "/chain2", dir + "/chain1");
    fs::create_symlink(dir + "/chain1", chain);
    npy = dir + "/saved.npy";
    encoder = std::string(MICROTORCH_SOURCE_DIR) + "/data/gpt2/encoder.json";
    vocab = std::string(MICROTORCH_SOURCE_DIR) + "/data/gpt2/vocab.bpe";
  }
  ~Scene() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

const Scene& scene() {
  static Scene s;
  return s;
}

std::string path_from(FuzzedDataProvider& in, const Scene& s) {
  switch (in.ConsumeIntegralInRange<int>(0, 15)) {
    case 0: return s.fifo;
    case 1: return s.fifo_link;
    case 2: return s.folder;
    case 3: return s.folder + "/";
    case 4: return "/dev/zero";
    case 5: return "/dev/null";
    case 6: return "/dev/urandom";
    case 7: return s.loop;
    case 8: return s.dangling;
    case 9: return s.chain;
    case 10: return "";
    case 11: return s.dir + "/" + std::string(in.ConsumeIntegralInRange<size_t>(200, 5000), 'a');
    case 12: return s.dir;
    default: return s.regular;
  }
}

// A loader or saver may refuse a path with std::runtime_error or std::invalid_argument, nothing else.
bool refused(const std::exception& e) {
  return dynamic_cast<const std::runtime_error*>(&e) || dynamic_cast<const std::invalid_argument*>(&e);
}

template <class Call> void guarded(const char* name, Call call) { fuzz::guarded(name, call, refused); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Scene& s = scene();
  FuzzedDataProvider in(data, size);
  const int loader = in.ConsumeIntegralInRange<int>(0, 8);
  const std::string path = path_from(in, s);
  {
    std::ofstream out(s.regular, std::ios::binary | std::ios::trunc);  // the regular file: the rest of the input
    const std::string bytes = in.ConsumeRemainingBytesAsString();
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  switch (loader) {
    case 0: guarded("load", [&] { mt::load(path); }); break;
    case 1: guarded("load_metadata", [&] { mt::load_metadata(path); }); break;
    case 2: guarded("load_into", [&] {
        mt::nn::Linear lin(mt::nn::LinearOptions(2, 2));
        mt::load_into(lin, path);
      });
      break;
    case 3: guarded("load_npy", [&] { mt::load_npy(path); }); break;
    case 4: guarded("from_files(encoder)", [&] { mt::text::GPT2Tokenizer::from_files(path, s.vocab); }); break;
    case 5: guarded("from_files(vocab)", [&] { mt::text::GPT2Tokenizer::from_files(s.encoder, path); }); break;
    case 6: guarded("save", [&] { mt::save({{"w", mt::ones({2})}}, path); }); break;
    case 7: guarded("save_npy", [&] { mt::save_npy(mt::ones({2}), path); }); break;
    default: guarded("save_npy then load_npy", [&] {
        mt::save_npy(mt::ones({2, 3}), s.npy);
        if (mt::load_npy(s.npy).shape() != mt::Shape{2, 3}) std::abort();
      });
      break;
  }
  // a save through a link or onto a special file must not have replaced the fixed files
  struct stat st {};
  if (::lstat(s.fifo.c_str(), &st) != 0 || !S_ISFIFO(st.st_mode)) {
    std::fprintf(stderr, "fuzz_special_files: the FIFO was replaced by a save to '%s'\n", path.c_str());
    std::abort();
  }
  if (!fs::is_directory(s.folder)) {
    std::fprintf(stderr, "fuzz_special_files: the folder was replaced by a save to '%s'\n", path.c_str());
    std::abort();
  }
  return 0;
}
