// Shared pieces of the benchmark: the workloads' sizes and inputs (both libraries get the same), the
// timers, the printing of a figure, and the libtorch side's entry points (torch_*.cpp, built only when CMake
// finds Torch). A section is a function `void xxx_section(int threads, bool targets)` listed in main.cpp; a
// figure is one call of `row(...)`.
#pragma once
#include <cmath>
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
// The GPT step: nanoGPT's CPU recipe on characters (V 65): L 4, H 4, C 128, T 64, B 12.
struct Gpt {
  static constexpr int64_t V = 65, L = 4, H = 4, C = 128, T = 64, B = 12;
  static constexpr int kBatches = 4;  // fixed batches the steps cycle through
};
// Batch i's inputs and targets, (B, T) each, ids in [0, V): the same for both libraries.
std::vector<int64_t> gpt_ids(int batch, bool targets);

struct Inputs {
  std::vector<int64_t> ids;       // (B, T) in [0, V)
  std::vector<float> grad_out;    // (B, T, C) the seed of backward
  std::vector<int64_t> mlp_x;     // (kBatch, kContext) in [0, kChars)
  std::vector<int64_t> mlp_y;     // (kBatch)
  std::vector<int64_t> bigram_x;  // (kBatch)
  std::vector<int64_t> bigram_y;  // (kBatch)
};
const Inputs& inputs();  // built once, from a fixed seed
// n ids uniform in [0, classes) from a fixed seed (the same for both libraries): class targets, token ids.
std::vector<int64_t> class_ids(int64_t n, int64_t classes, uint64_t seed = 7);

using Workload = std::function<void()>;

// Runs fn `warmup` times, then `reps` times, and returns the median seconds of one call of fn divided
// by `inner` (fn may loop `inner` times, for steps too short to time one by one).
double median_seconds(const Workload& fn, int warmup, int reps, int inner = 1);

// A block: a settle pause, one untimed call, then `inner` timed calls; seconds per call (common.cpp says why).
double timed_block(const Workload& fn, int inner);

// One side of a comparison, wherever it runs: `calls(n)` calls its workload n times, `block` times a block of
// calls.
struct Side {
  std::function<void(int n)> calls;
  std::function<double(int inner)> block;
};
Side here(const Workload& fn);  // a workload of this process

// Two sides timed in alternating blocks (a, b, a, b, ...), so drift on a shared machine hits both alike:
// medians and maxima of the `reps` blocks of each.
struct Pair {
  double a, b;          // medians
  double a_max, b_max;  // the slowest block of each
};
Pair median_pair(const Side& a, const Side& b, int warmup, int reps, int inner = 1);
Pair median_pair(const Workload& fa, const Workload& fb, int warmup, int reps, int inner = 1);

// Peak resident memory (VmHWM, bytes) of fn run in a forked child, minus the child's resident memory
// before fn (and after `prepare`); -1 when the child failed.
int64_t peak_rss_in_child(const Workload& fn, const Workload& prepare = {});
// A /proc/self/status field given in kB ("VmRSS:", "VmHWM:"), as bytes; -1 when missing.
int64_t status_bytes(const char* field);
// Minor page faults (getrusage ru_minflt) per call of fn, over `reps` calls after `warmup`.
double page_faults_per_call(const Workload& fn, int warmup, int reps);
// Heap allocations (global operator new, counted in common.cpp) per call of fn.
int64_t allocations_per_call(const Workload& fn);

// --- printing: each figure is a line on stdout and, with `--rows FILE`, a tab-separated line appended to FILE,
// from which bench/run writes bench/RESULTS.md (bench/results.awk). The lines of FILE:
//   section <TAB> title <TAB> what the section times
//   row <TAB> figure <TAB> microtorch <TAB> baseline <TAB> ratio <TAB> lower|higher <TAB> target <TAB> met|MISSED
//   note <TAB> text                       (about the whole run: OpenBLAS's core, which GEMM microtorch runs)
struct Figure {
  std::string what;               // the figure's name, unique within its section
  std::string mine;               // microtorch's side: "1.380 ms (max 1.520 ms)"
  std::string baseline;           // the baseline's side, naming it: "libtorch 2.010 ms (max 2.300 ms)"; may be empty
  double ratio = std::nan("");    // microtorch / baseline; NaN when the figure has none
  bool higher_is_better = false;  // true for a ratio of rates (GFLOP/s, MB/s), false for one of times or bytes
  const char* cmp = nullptr;      // "<=" or ">=": the ratio is checked against `target`, and a miss counted
  double target = 0;
};
void row(const Figure& f);
Figure figure(const std::string& what, const std::string& mine);  // a figure of microtorch's alone
// A timed pair as a figure: both sides' medians and maxima in `unit` (ms or us), ratio a / b.
Figure pair_figure(const std::string& what, const Pair& p, const std::string& baseline, std::string (*unit)(double));
void header(const std::string& title, const std::string& about = "");  // starts a section
void note(const std::string& text);
void open_rows(const std::string& path);  // appends from now on
std::string threads_label(int threads);   // "1 thread", "2 threads"
std::string ms(double seconds);
std::string us(double seconds);
std::string mb(double bytes);
int missed_targets();

// --- sections (main.cpp runs them in order, for each thread count; `targets` on the first) ---
void embedding_section(int threads, bool targets);  // bench_embedding.cpp
void ops_section(int threads, bool targets);        // bench_ops.cpp
void memory_section(int threads);                   // bench_embedding.cpp, at the first thread count
void gpt_section(int threads, bool targets);        // bench_gpt.cpp

// --- the GPT step's compute floor (gemm_floor.cpp): its matmuls as plain SGEMM calls on its shapes ---
double gpt_step_flops();       // forward + backward matmul FLOPs of one step (attention counted unmasked)
double gpt_sgemm_seconds();    // median time of those SGEMMs, run back to back
std::string openblas_core();   // openblas_get_corename()

// --- microtorch workloads other files reuse (bench_embedding.cpp); `--loop NAME N` runs one of them ---
Workload mt_workload(const std::string& name);  // empty when unknown
Workload mt_gpt_step();                         // bench_gpt.cpp
Workload mt_op(const std::string& name);        // an op row of bench_ops.cpp by its name; empty when unknown

#ifdef MICROTORCH_BENCH_LIBTORCH
// --- libtorch in a process of its own (peer.cpp): this program run as `--peer THREADS`, driven by a pipe ---
// The two libraries never share a process, so neither's idle worker threads (libtorch's OpenMP team, our
// pool) sit beside the other's timed blocks. Each call names a workload of torch_workload().
Side libtorch(const std::string& name);                        // started at this process's thread count
double libtorch_page_faults(const std::string& name, int warmup, int reps);
int serve_libtorch(int threads);                               // the peer's side: answers until stdin closes
Workload torch_workload(const std::string& name);  // gather, sparse, dense, mlp, bigram, tied, gpt, op:ROW

// --- libtorch, the same workloads (torch_*.cpp). Each returns a callable that runs one of them. ---
void torch_set_threads(int n);
Workload torch_gather();                       // Embedding forward, no grad
Workload torch_embedding_step(bool sparse);    // zero_grad, forward, backward(grad_out), SGD
Workload torch_mlp_step();
Workload torch_bigram_step();
Workload torch_tied_gemm();                    // F::linear(x (kRows, C), W (V, C))
Workload torch_op(const std::string& name);    // the rows of bench_ops.cpp by name (torch_ops.cpp)
Workload torch_gpt_step();                     // the GPT step in torch::nn + torch::optim::AdamW (torch_gpt.cpp)
#endif

}  // namespace bench
