// Row-major SGEMM, C (M, N) = alpha * op(A) op(B) + beta * C, through xtensor-blas's cxxblas binding onto
// OpenBLAS. op() transposes by flag, so no transposed copy is ever made.
#pragma once
#include <cstdint>

namespace microtorch {

// A is (M, K), or (K, M) stored when trans_a; B is (K, N), or (N, K) stored when trans_b.
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, const float* B,
          float beta, float* C);

}  // namespace microtorch
