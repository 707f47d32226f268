// Shared pieces of the benchmark: the workloads' sizes and inputs (both libraries get the same), the
// timers, the printing of a row, and the libtorch side's entry points (torch_*.cpp, built only when CMake
// finds Torch). A section is a function `void xxx_section(int threads)` listed in main.cpp; a row is one
// call of `row(...)` with the two timings.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace bench {

// GPT-2-scale embedding: ids (B, T) into a (V, C) table.
constexpr int64_t V = 50257, C = 768, B = 8, T = 1024;
// makemore: 27 characters, batch 32, context 3, 10-dim embedding, 200 hidden units.
constexpr int64_t kChars = 27, kBatch = 32, kContext = 3, kEmbDim = 10, kHidden = 200;
// Tied head GEMM: x (kRows, C) times W (V, C)^T.
constexpr int64_t kRows = 1024;

struct Inputs {
  std::vector<int64_t> ids;       // (B, T) in [0, V)
  std::vector<float> grad_out;    // (B, T, C) the seed of backward
  std::vector<int64_t> mlp_x;     // (kBatch, kContext) in [0, kChars)
  std::vector<int64_t> mlp_y;     // (kBatch)
  std::vector<int64_t> bigram_x;  // (kBatch)
  std::vector<int64_t> bigram_y;  // (kBatch)
};
const Inputs& inputs();  // built once, from a fixed seed

using Workload = std::function<void()>;

// Runs fn `warmup` times, then `reps` times, and returns the median seconds of one call of fn divided
// by `inner` (fn may loop `inner` times, for steps too short to time one by one).
double median_seconds(const Workload& fn, int warmup, int reps, int inner = 1);

// Two workloads timed in alternation (a, b, a, b, ...), so drift on a shared machine hits both alike:
// medians and maxima of the `reps` timings of each.
struct Pair {
  double a, b;          // medians
  double a_max, b_max;  // the slowest run of each
};
Pair median_pair(const Workload& fa, const Workload& fb, int warmup, int reps, int inner = 1);

// Peak resident memory (VmHWM, bytes) of fn run in a forked child, minus the child's resident memory
// before fn (and after `prepare`); -1 when the child failed.
int64_t peak_rss_in_child(const Workload& fn, const Workload& prepare = {});
// Minor page faults (getrusage ru_minflt) per call of fn, over `reps` calls after `warmup`.
double page_faults_per_call(const Workload& fn, int warmup, int reps);
// Heap allocations (global operator new, counted in common.cpp) per call of fn.
int64_t allocations_per_call(const Workload& fn);

// --- printing: one row is a name, a ratio and a detail; with a target it is checked and counted ---
void row(const std::string& what, double ratio, const std::string& detail, const char* cmp = nullptr,
         double target = 0);
void header(const std::string& title);
std::string ms(double seconds);
std::string us(double seconds);
int missed_targets();

// --- sections (main.cpp runs them in order, for each thread count; `targets` on the first) ---
void embedding_section(int threads, bool targets);  // bench_embedding.cpp
void ops_section(int threads, bool targets);        // bench_ops.cpp
void memory_section();                              // bench_embedding.cpp, once

// --- microtorch workloads other files reuse (bench_embedding.cpp); `--loop NAME N` runs one of them ---
Workload mt_workload(const std::string& name);  // empty when unknown

#ifdef MICROTORCH_BENCH_LIBTORCH
// --- libtorch, the same workloads (torch_*.cpp). Each returns a callable that runs one of them. ---
void torch_set_threads(int n);
Workload torch_gather();                       // Embedding forward, no grad
Workload torch_embedding_step(bool sparse);    // zero_grad, forward, backward(grad_out), SGD
Workload torch_mlp_step();
Workload torch_bigram_step();
Workload torch_tied_gemm();                    // F::linear(x (kRows, C), W (V, C))
Workload torch_op(const std::string& name);    // the rows of bench_ops.cpp by name (torch_ops.cpp)
#endif

}  // namespace bench
