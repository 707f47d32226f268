// Internal (not installed): the row kernels of grad_rows.cpp that grad_state.cpp's dense transitions use
// too (the float order that makes a sparse or row-tracked gradient bit-identical to the dense one).
#pragma once
#include <cstdint>
#include <vector>

#include "grad_state.h"

namespace microtorch::detail {

// dense (V, C) += the chunk's rows summed per id from zero (PyTorch's dW[ids[n]] += dout[n], built apart
// and then added as one term).
void scatter_rows(float* dense, int64_t C, const RowChunk& chunk);
// ids sorted, repeats dropped.
std::vector<int64_t> sorted_unique(std::vector<int64_t> ids);

}  // namespace microtorch::detail
