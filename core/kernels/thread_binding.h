// Internal: OMP_PROC_BIND for microtorch's thread pool (parallel.cpp), as libgomp applies it to libtorch's
// OpenMP threads. The plain path: threads left unpinned, wherever the kernel's scheduler puts them.
#pragma once
#include <sched.h>

namespace microtorch::kernels {

// True when OMP_PROC_BIND is set to anything but "false" (read once).
bool thread_binding_requested();

// Pins the calling thread to online CPU (first + k) mod (online CPUs); false (and left unpinned) if refused.
bool bind_this_thread(int first, int k);

// The CPU the calling thread runs on now (0 if unknown).
int current_cpu();

// While alive, the calling thread may run on every CPU it could before bind_this_thread first pinned a
// thread (the process's mask then), so threads started meanwhile (OpenBLAS's, in set_num_threads) do not
// inherit the pin; its destructor puts the thread's own mask back. Does nothing if nothing was pinned.
class UnpinnedScope {
 public:
  UnpinnedScope();
  ~UnpinnedScope();
  UnpinnedScope(const UnpinnedScope&) = delete;
  UnpinnedScope& operator=(const UnpinnedScope&) = delete;

 private:
  cpu_set_t saved_;
  bool widened_ = false;
};

}  // namespace microtorch::kernels
