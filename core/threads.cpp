// Thread count for kernels and OpenBLAS, as at::set_num_threads: the kernels' pool (kernels/parallel.h)
// and OpenBLAS are kept at the same count.
#include <cblas.h>

#include <stdexcept>
#include <string>

#include "kernels/parallel.h"
#include "kernels/thread_binding.h"
#include "tensor.h"

namespace microtorch {

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("set_num_threads: expected n >= 1, got " + std::to_string(n));
  {
    // OpenBLAS may start its threads here; under OMP_PROC_BIND the pool has pinned this thread to one CPU,
    // and threads started from it would share that one CPU.
    kernels::UnpinnedScope unpinned;
    openblas_set_num_threads(n);
  }
  kernels::set_num_threads(n);
}

int get_num_threads() { return kernels::num_threads(); }

}  // namespace microtorch
