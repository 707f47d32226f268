// parallel_for: the one way kernels use more than one thread. Plain path it speeds up: fn(begin, end).
// The range is cut into at most num_threads() contiguous chunks, each a whole number of `grain`s (the last
// one takes the rest), so which element lands in which chunk depends only on the range, the grain and the
// thread count: a kernel that writes each element once gives the same floats for every count, and one
// that keeps a partial per fixed-size block (see reduce.cpp) does too.
#pragma once
#include <cstdint>
#include <functional>

namespace microtorch::kernels {

// Threads a kernel may use: set_num_threads's value (core/threads.cpp); before any, OMP_NUM_THREADS or the
// hardware's thread count.
int num_threads();
void set_num_threads(int n);  // sizes the pool; called by microtorch::set_num_threads

// Calls fn(chunk_begin, chunk_end) over [begin, end). Runs inline when the range is at most one grain,
// when one thread is set, or when called from inside another parallel_for. fn must not throw.
void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// Elementwise work below this many elements is not worth waking a thread for (PyTorch's GRAIN_SIZE).
constexpr int64_t kGrain = 32768;

}  // namespace microtorch::kernels
