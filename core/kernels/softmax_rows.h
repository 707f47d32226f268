// softmax over contiguous rows (the last dim), forward and backward: the fast loops and their plain
// references. The plain path they speed up is softmax_rows_reference: exp, then one scalar chain of float
// adds for the row's sum, then a division per element. The fast loops sum in 16 float lanes (one AVX-512
// register, as PyTorch's vectorised reduce_all), fuse the exp with the sum, and multiply by 1 / sum as
// PyTorch's _vec_softmax_lastdim does. Rows are split across threads (each row written by one thread, so
// the floats do not depend on the count).
#pragma once
#include <cstdint>

namespace microtorch::kernels {

// y (R, N) = softmax of each row of x (R, N).
void softmax_rows(const float* x, float* y, int64_t R, int64_t N);
// dx (R, N) = y * (dy - sum(dy * y)) per row (the caller adds dx into the gradient).
void softmax_backward_rows(const float* y, const float* dy, float* dx, int64_t R, int64_t N);

// The plain loops: the tests' oracle.
void softmax_rows_reference(const float* x, float* y, int64_t R, int64_t N);
void softmax_backward_rows_reference(const float* y, const float* dy, float* dx, int64_t R, int64_t N);

}  // namespace microtorch::kernels
