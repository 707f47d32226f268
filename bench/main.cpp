// microtorch benchmarks: each figure is a ratio against a baseline timed in this same process (memcpy,
// or libtorch doing exactly the same work), with warm-up and the median (and max) of alternated runs.
//   bench/run                      (configures build-bench/, builds, runs with 1 then 2 threads)
//   build-bench/bench/microtorch_bench [threads...] [--only SECTION]   or   --loop WORKLOAD N
// A new section: a function in its own file, declared in bench.h, one line in kSections below.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <microtorch/microtorch.h>

#include "bench.h"

namespace {

struct Section {
  const char* name;
  void (*run)(int threads, bool targets);
};
const Section kSections[] = {
    {"embedding", bench::embedding_section},
    {"ops", bench::ops_section},
};

// --loop NAME N: runs one microtorch workload N times and nothing else, for a profiler.
int loop(const std::string& name, int n) {
  bench::Workload fn = bench::mt_workload(name);
  if (!fn) {
    std::fprintf(stderr, "--loop: unknown workload %s (gather, sparse, default, mlp, bigram)\n", name.c_str());
    return 2;
  }
  for (int i = 0; i < n; ++i) fn();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--loop") return loop(argv[2], std::atoi(argv[3]));
  std::vector<int> threads;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--only" && i + 1 < argc) only = argv[++i];
    else threads.push_back(std::atoi(argv[i]));
  }
  if (threads.empty()) threads = {1, 2};
  std::printf("microtorch bench: ratios are microtorch / baseline, medians of repeated runs in one process\n");
#ifndef MICROTORCH_BENCH_LIBTORCH
  std::printf("(built without libtorch: only the memcpy comparisons)\n");
#endif
  bench::inputs();
  if (only.empty() || only == "memory") bench::memory_section();
  for (size_t i = 0; i < threads.size(); ++i) {
    microtorch::set_num_threads(threads[i]);
#ifdef MICROTORCH_BENCH_LIBTORCH
    bench::torch_set_threads(threads[i]);
#endif
    for (const Section& s : kSections)
      if (only.empty() || only == s.name) s.run(threads[i], i == 0);
  }
  return bench::missed_targets() == 0 ? 0 : 1;
}
