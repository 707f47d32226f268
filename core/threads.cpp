// Thread count for kernels and OpenBLAS, as at::set_num_threads.
#include <cblas.h>

#include <stdexcept>
#include <string>

#include "tensor.h"

namespace microtorch {

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("set_num_threads: expected n >= 1, got " + std::to_string(n));
  openblas_set_num_threads(n);
}

int get_num_threads() { return openblas_get_num_threads(); }

}  // namespace microtorch
