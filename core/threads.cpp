// Thread count for kernels and OpenBLAS, as at::set_num_threads: the kernels' pool (kernels/parallel.h)
// and OpenBLAS are kept at the same count.
#include <cblas.h>

#include <stdexcept>
#include <string>
#include <system_error>

#include "kernels/parallel.h"
#include "kernels/thread_binding.h"
#include "tensor.h"

namespace microtorch {

// The pool is sized first: if its threads cannot start (a process limit), nothing has changed and the error
// says so. OpenBLAS follows (it caps the count at its own maximum, and ends the process when it cannot
// start a thread, so it is asked only once our threads did start).
void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("set_num_threads: expected n >= 1, got " + std::to_string(n));
  const int before = kernels::num_threads();
  try {
    kernels::set_num_threads(n);
  } catch (const std::system_error& e) {
    throw std::runtime_error("set_num_threads: cannot start the threads for n = " + std::to_string(n) + " (" +
                             e.what() + "); the thread count stays " + std::to_string(before));
  }
  // OpenBLAS may start its threads here; under OMP_PROC_BIND the pool has pinned this thread to one CPU,
  // and threads started from it would share that one CPU.
  kernels::UnpinnedScope unpinned;
  openblas_set_num_threads(n);
}

int get_num_threads() { return kernels::num_threads(); }

}  // namespace microtorch
