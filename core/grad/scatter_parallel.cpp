// scatter_rows_into_zeros_parallel. Plain path it speeds up: scatter_rows_into_zeros(dense, C, chunk, 0, V)
// (grad_rows.cpp). The threads split the table's rows, not the chunk's: each takes the ids in its own
// range of [0, V) and adds their rows in the chunk's order, so every id gets its rows in the plain order
// (the same floats, for any thread count) and no two threads write one row. Each thread reads the whole
// id list (n int64s), small beside the n * C floats it moves.
#include <algorithm>

#include "rows.h"
#include "../kernels/parallel.h"

namespace microtorch::detail {

void scatter_rows_into_zeros_parallel(float* dense, int64_t V, int64_t C, const RowChunk& chunk) {
  const int64_t n = static_cast<int64_t>(chunk.ids.size());
  const int threads = kernels::num_threads();
  if (threads == 1 || n * C < 2 * kernels::kGrain) {  // not worth a second thread
    scatter_rows_into_zeros(dense, C, chunk, 0, V);
    return;
  }
  const int64_t part = (V + threads - 1) / threads;  // one id range per thread
  kernels::parallel_for(0, V, part, [&](int64_t lo, int64_t hi) { scatter_rows_into_zeros(dense, C, chunk, lo, hi); });
}

}  // namespace microtorch::detail
