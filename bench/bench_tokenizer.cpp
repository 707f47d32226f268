// The tokenizer's figure: GPT-2 encoding speed in MB/s on tinyshakespeare (1.1 MB), one thread, against
// js-tiktoken (tiktoken's JavaScript port) at a fixed figure, the target's baseline (not timed here). Each run
// loads a fresh tokenizer (not timed), so its piece cache starts empty: "cold" is a first pass over the text,
// "warm" a second pass over the same text with the cache filled. Prints the median and the max of the runs;
// --rows FILE appends them to FILE as bench/bench.h's tab-separated lines, for bench/RESULTS.md.
//   microtorch_bench_tokenizer [runs] [text file] [--rows FILE]
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

constexpr double kJsTiktokenMBs = 1.76;  // js-tiktoken's encoding speed, the fixed baseline of the target
constexpr double kTargetMBs = 5.0;       // first pass, MB/s

double seconds(const std::chrono::steady_clock::time_point& start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string default_text() {
  const char* shared = std::getenv("MICROTORCH_SHARED");
  return std::string(shared && *shared ? shared : MICROTORCH_DATA_DIR) + "/data/tinyshakespeare.txt";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args;
  std::string rows_path;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--rows" && i + 1 < argc) rows_path = argv[++i];
    else args.push_back(argv[i]);
  }
  const int runs = args.size() > 0 ? std::max(1, std::atoi(args[0].c_str())) : 7;
  const std::string path = args.size() > 1 ? args[1] : default_text();
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
  const double warm_median = median(warm), warm_max = *std::max_element(warm.begin(), warm.end());
  const bool met = cold_median >= kTargetMBs;
  std::printf("GPT-2 tokenizer, encode %s (%.2f MB -> %zu tokens), one thread, %d runs:\n", path.c_str(), MB, tokens, runs);
  std::printf("  first pass (cache empty): median %.1f MB/s, max %.1f MB/s  (js-tiktoken %.2f MB/s: %.1fx; target >= %.0f MB/s%s)\n",
              cold_median, cold_max, kJsTiktokenMBs, cold_median / kJsTiktokenMBs, kTargetMBs, met ? "" : ", MISSED");
  std::printf("  second pass (cache warm): median %.1f MB/s, max %.1f MB/s\n", warm_median, warm_max);
  if (!rows_path.empty()) {
    if (FILE* f = std::fopen(rows_path.c_str(), "a")) {
      std::fprintf(f, "section\ttokenizer, 1 thread\tGPT-2 encoding of %s (%.2f MB, %zu tokens), %d runs, each with a fresh "
                   "tokenizer; the target is on the first pass's MB/s\n", path.substr(path.rfind('/') + 1).c_str(), MB, tokens, runs);
      std::fprintf(f, "row\tfirst pass (cache empty) MB/s / js-tiktoken\t%.1f MB/s (max %.1f)\tjs-tiktoken %.2f MB/s "
                   "(fixed figure)\t%.3f\thigher\t>= %.0f MB/s\t%s\n", cold_median, cold_max, kJsTiktokenMBs,
                   cold_median / kJsTiktokenMBs, kTargetMBs, met ? "met" : "MISSED");
      std::fprintf(f, "row\tsecond pass (cache warm) MB/s\t%.1f MB/s (max %.1f)\t\t\thigher\t\t\n", warm_median, warm_max);
      std::fclose(f);
    }
  }
  return met ? 0 : 1;
}
