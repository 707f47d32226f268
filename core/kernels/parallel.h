// parallel_for: the one way kernels use more than one thread. Plain path it speeds up: fn(begin, end).
// The range is cut into at most num_threads() contiguous chunks, each a whole number of `grain`s (the last
// one takes the rest), so which element lands in which chunk depends only on the range, the grain and the
// thread count: a kernel that writes each element once gives the same floats for every count, and one
// that keeps a partial per fixed-size block (see reduce.cpp) does too.
#pragma once
#include <cstdint>
#include <type_traits>

namespace microtorch::kernels {

// Threads a kernel may use: set_num_threads's value (core/threads.cpp); before any, OMP_NUM_THREADS or the
// hardware's thread count.
int num_threads();
void set_num_threads(int n);  // sizes the pool, then keeps n; std::system_error (n unchanged) if a thread cannot start

// A borrowed callable fn(int64_t, int64_t): a pointer and a trampoline, so handing a lambda to parallel_for
// neither copies it nor allocates (std::function would, for a lambda of more than two captures). It must
// not outlive the callable, which parallel_for's argument never does.
class RangeFn {
 public:
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, RangeFn>>>
  RangeFn(const F& f)  // NOLINT: implicit, so callers pass their lambda as before
      : obj_(&f), call_([](const void* o, int64_t b, int64_t e) { (*static_cast<const F*>(o))(b, e); }) {}
  void operator()(int64_t begin, int64_t end) const { call_(obj_, begin, end); }

 private:
  const void* obj_;
  void (*call_)(const void*, int64_t, int64_t);
};

// Calls fn(chunk_begin, chunk_end) over [begin, end). Runs inline when the range is at most one grain,
// when one thread is set, or when called from inside another parallel_for. fn must not throw.
void parallel_for(int64_t begin, int64_t end, int64_t grain, const RangeFn& fn);

// The most threads a parallel_for uses (its job word holds the chunk count in 8 bits); set_num_threads
// accepts more, as at::set_num_threads does, and starts no more than this.
constexpr int kMaxThreads = 255;

// Elementwise work below this many elements is not worth waking a thread for (PyTorch's GRAIN_SIZE).
constexpr int64_t kGrain = 32768;

}  // namespace microtorch::kernels
