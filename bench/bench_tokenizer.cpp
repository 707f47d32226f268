// The tokenizer's figure: GPT-2 encoding speed in MB/s on tinyshakespeare (1.1 MB), one thread, against
// js-tiktoken (tiktoken's JavaScript port), which does 1.76 MB/s on this machine. Each run loads a fresh
// tokenizer (not timed), so its piece cache starts empty: "cold" is a first pass over the text, "warm" a
// second pass over the same text with the cache filled. Prints the median and the max of the runs.
//   microtorch_bench_tokenizer [runs] [text file]
#include <microtorch/microtorch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace mt = microtorch;

namespace {

constexpr double kJsTiktokenMBs = 1.76;  // js-tiktoken on this machine (the figure)
constexpr double kTargetMBs = 5.0;

double seconds(const std::chrono::steady_clock::time_point& start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string text_path(int argc, char** argv) {
  if (argc > 2) return argv[2];
  const char* shared = std::getenv("MICROTORCH_SHARED");
  return std::string(shared && *shared ? shared : MICROTORCH_DATA_DIR) + "/data/tinyshakespeare.txt";
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 7;
  const std::string path = text_path(argc, argv);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "bench_tokenizer: cannot read %s (set MICROTORCH_SHARED or pass the file)\n", path.c_str());
    return 2;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string gpt2 = std::string(MICROTORCH_SOURCE_DIR) + "/data/gpt2";
  const double MB = static_cast<double>(text.size()) / 1e6;

  std::vector<double> cold, warm;
  size_t tokens = 0;
  for (int r = 0; r < runs; ++r) {
    const auto tok = mt::text::GPT2Tokenizer::from_files(gpt2 + "/encoder.json", gpt2 + "/vocab.bpe");
    auto start = std::chrono::steady_clock::now();
    tokens = tok.encode(text).size();
    cold.push_back(MB / seconds(start));
    start = std::chrono::steady_clock::now();
    tok.encode(text);
    warm.push_back(MB / seconds(start));
  }
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double cold_median = median(cold), cold_max = *std::max_element(cold.begin(), cold.end());
  std::printf("GPT-2 tokenizer, encode %s (%.2f MB -> %zu tokens), one thread, %d runs:\n", path.c_str(), MB, tokens, runs);
  std::printf("  first pass (cache empty): median %.1f MB/s, max %.1f MB/s  (js-tiktoken %.2f MB/s: %.1fx; target >= %.0f MB/s%s)\n",
              cold_median, cold_max, kJsTiktokenMBs, cold_median / kJsTiktokenMBs, kTargetMBs,
              cold_median >= kTargetMBs ? "" : ", MISSED");
  std::printf("  second pass (cache warm): median %.1f MB/s, max %.1f MB/s\n", median(warm),
              *std::max_element(warm.begin(), warm.end()));
  return cold_median >= kTargetMBs ? 0 : 1;
}
