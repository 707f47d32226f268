// Speeds up gemm() (gemm.h) for a single row of A, whose plain path is the loops gemv_rows_plain and
// gemv_cols_plain below. One token through a Linear (a decoded token: every projection, and the tied
// head's (V, C) product) is a matrix-vector product: its cost is reading the matrix once, so these stream
// it row after row and never pack or copy it, as a GEMM's blocking would. gemm() calls them when M == 1.
#pragma once
#include <cstdint>

namespace microtorch::kernels {

// y (N) = alpha * W (N, K) x (K) + beta * y: each output the dot product of a contiguous row of W with x.
// beta == 0 does not read y (as BLAS). Threads split the rows; each y[n] is summed the same way for every
// thread count.
void gemv_rows(int64_t N, int64_t K, float alpha, const float* W, const float* x, float beta, float* y);
// y (N) = alpha * x (K) B (K, N) + beta * y: the rows of B scaled by x and added. Threads split the columns.
void gemv_cols(int64_t N, int64_t K, float alpha, const float* B, const float* x, float beta, float* y);

// The plain loops: one accumulator per output, k in order. The tests' oracle.
void gemv_rows_plain(int64_t N, int64_t K, float alpha, const float* W, const float* x, float beta, float* y);
void gemv_cols_plain(int64_t N, int64_t K, float alpha, const float* B, const float* x, float beta, float* y);

}  // namespace microtorch::kernels
