// Shared pieces of the benchmark: the workloads (sizes and inputs both libraries get), the timer, and the
// libtorch side's entry points (torch_bench.cpp, built only when CMake finds Torch).
#pragma once
#include <cstdint>
#include <functional>
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

// Runs fn `warmup` times, then `reps` times, and returns the median seconds of one call of fn divided
// by `inner` (fn may loop `inner` times, for steps too short to time one by one).
double median_seconds(const std::function<void()>& fn, int warmup, int reps, int inner = 1);

// Two workloads timed in alternation (a, b, a, b, ...), so drift on a shared machine hits both alike.
struct Pair {
  double a, b;
};
Pair median_pair(const std::function<void()>& fa, const std::function<void()>& fb, int warmup, int reps,
                 int inner = 1);

// Peak resident memory (VmHWM, bytes) of fn run in a forked child, minus the child's resident memory
// before fn; -1 when the child failed.
int64_t peak_rss_in_child(const std::function<void()>& fn);

#ifdef MICROTORCH_BENCH_LIBTORCH
// --- libtorch, the same workloads (torch_bench.cpp). Each returns a callable that runs one of them. ---
void torch_set_threads(int n);
std::function<void()> torch_gather();            // Embedding forward, no grad
std::function<void()> torch_embedding_step(bool sparse);  // zero_grad, forward, backward(grad_out), SGD
std::function<void()> torch_mlp_step();
std::function<void()> torch_bigram_step();
std::function<void()> torch_tied_gemm();         // F::linear(x (kRows, C), W (V, C))
#endif

}  // namespace bench
