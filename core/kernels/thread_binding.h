// Internal: OMP_PROC_BIND for microtorch's thread pool (parallel.cpp), as libgomp applies it to libtorch's
// OpenMP threads. The plain path: threads left unpinned, wherever the kernel's scheduler puts them.
#pragma once

namespace microtorch::kernels {

// True when OMP_PROC_BIND is set to anything but "false" (read once).
bool thread_binding_requested();

// Pins the calling thread to online CPU (first + k) mod (online CPUs); false (and left unpinned) if refused.
bool bind_this_thread(int first, int k);

// The CPU the calling thread runs on now (0 if unknown).
int current_cpu();

}  // namespace microtorch::kernels
