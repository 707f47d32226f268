// microtorch benchmarks: each figure is a ratio against a baseline timed in the same run (memcpy in this
// process, or libtorch doing exactly the same work in a peer process, peer.cpp), with warm-up and the median
// (and max) of alternated blocks.
//   bench/run                      (configures build-bench/, builds, runs with 1 then 2 threads)
//   build-bench/bench/microtorch_bench [threads...] [--only SECTION] [--rows FILE]   or   --loop WORKLOAD N
//   (sections: memory, embedding, ops, gpt; BENCH_ROWS=substring picks op rows; --rows appends every figure
//   to FILE as a tab-separated line, bench.h says the format, for bench/run's bench/RESULTS.md)
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
    {"gpt", bench::gpt_section},
};

// --loop NAME N: runs one microtorch workload N times and nothing else, for a profiler; NAME op:ROW is an
// op row of bench_ops.cpp by its full name, e.g. "op:fwd+bwd (x * 2.0f).sum()".
int loop(const std::string& name, int n) {
  bench::Workload fn = name.rfind("op:", 0) == 0 ? bench::mt_op(name.substr(3)) : bench::mt_workload(name);
  if (!fn) {
    std::fprintf(stderr, "--loop: unknown workload %s (gather, sparse, default, mlp, bigram, gpt, or op:ROW NAME)\n", name.c_str());
    return 2;
  }
  for (int i = 0; i < n; ++i) fn();
  return 0;
}

// --peak NAME N: runs workload NAME (a microtorch one, or torch_gpt) N times in this fresh process and prints
// its peak resident bytes and its resident bytes before building it (the GPT section reads them).
int peak(const std::string& name, int n) {
  const int64_t base = bench::status_bytes("VmRSS:");
  bench::Workload fn = bench::mt_workload(name);
#ifdef MICROTORCH_BENCH_LIBTORCH
  if (name == "torch_gpt") fn = bench::torch_workload("gpt");
#endif
  if (!fn) return 2;
  for (int i = 0; i < n; ++i) fn();
  std::printf("%lld %lld\n", static_cast<long long>(bench::status_bytes("VmHWM:")), static_cast<long long>(base));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Both libraries' threads pinned one per CPU, unless the caller says otherwise: libtorch's by libgomp in the
  // peer process (peer.cpp), which inherits this environment, microtorch's by its pool (thread_binding.cpp).
  // Unpinned, the scheduler may place a worker woken after the settle pause on its caller's CPU.
  setenv("OMP_PROC_BIND", "true", 0);
  if (argc == 4 && std::string(argv[1]) == "--loop") return loop(argv[2], std::atoi(argv[3]));
  if (argc == 4 && std::string(argv[1]) == "--peak") return peak(argv[2], std::atoi(argv[3]));
#ifdef MICROTORCH_BENCH_LIBTORCH
  if (argc == 3 && std::string(argv[1]) == "--peer") return bench::serve_libtorch(std::atoi(argv[2]));
#endif
  std::vector<int> threads;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--only" && i + 1 < argc) only = argv[++i];
    else if (std::string(argv[i]) == "--rows" && i + 1 < argc) bench::open_rows(argv[++i]);
    else threads.push_back(std::atoi(argv[i]));
  }
  if (threads.empty()) threads = {1, 2};
  std::printf("microtorch bench: ratios are microtorch / baseline, medians of alternated blocks (libtorch in a peer process)\n");
  // libtorch calls OpenBLAS, whose core (OPENBLAS_CORETYPE, or its own pick) sets its GEMM speed; microtorch
  // runs its own AVX-512 SGEMM where the CPU has it, OpenBLAS with MICROTORCH_GEMM_OPENBLAS=1 (core/ops/matmul.cpp).
  const char* mt_blas = std::getenv("MICROTORCH_GEMM_OPENBLAS");
  bench::note("OpenBLAS core: " + bench::openblas_core() + "; microtorch's GEMM: " +
              (mt_blas && std::string(mt_blas) == "1" ? "OpenBLAS (MICROTORCH_GEMM_OPENBLAS=1)"
                                                      : "its own AVX-512 kernel where the CPU has AVX-512"));
#ifndef MICROTORCH_BENCH_LIBTORCH
  bench::note("built without libtorch: only the memcpy comparisons");
#endif
  bench::inputs();
  for (size_t i = 0; i < threads.size(); ++i) {
    microtorch::set_num_threads(threads[i]);
    if (i == 0 && (only.empty() || only == "memory")) bench::memory_section(threads[i]);
    for (const Section& s : kSections)
      if (only.empty() || only == s.name) s.run(threads[i], i == 0);
  }
  return bench::missed_targets() == 0 ? 0 : 1;
}
