// The row kernels of rows.cpp, which state.cpp's dense transitions use too: the float order that makes a
// sparse or row-tracked gradient bit-identical to the dense one, and the plain loop they are held to.
#pragma once
#include <cstdint>
#include <vector>

#include "state.h"

namespace microtorch::detail {

// dense (V, C) += the chunk's rows summed per id from zero (PyTorch's dW[ids[n]] += dout[n], built apart
// and then added as one term).
void scatter_rows(float* dense, int64_t C, const RowChunk& chunk);
// dense (V, C) += the chunk's rows with ids in [lo, hi), one at a time in the chunk's order: for a buffer
// that is all zero (the default mode's first backward), the floats of scatter_rows. The plain path of
// scatter_rows_into_zeros_parallel (scatter_parallel.cpp), which splits [0, V) between the threads.
void scatter_rows_into_zeros(float* dense, int64_t C, const RowChunk& chunk, int64_t lo, int64_t hi);
void scatter_rows_into_zeros_parallel(float* dense, int64_t V, int64_t C, const RowChunk& chunk);
// The plain path all of them speed up, and the tests' oracle: the embedding's backward as one loop,
// dW (V, C) += dout (n, C) scattered to rows ids (n) (id < 0: skipped), each row times scale[k] (empty: 1).
void embedding_backward_reference(float* dW, const std::vector<int64_t>& ids, const float* dout,
                                  const std::vector<float>& scale, int64_t C);
// ids sorted, repeats dropped.
std::vector<int64_t> sorted_unique(std::vector<int64_t> ids);

}  // namespace microtorch::detail
