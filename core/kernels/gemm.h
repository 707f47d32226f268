// Row-major SGEMM, C (M, N) = alpha * op(A) op(B) + beta * C (gemm.cpp). op() transposes by flag, so no
// transposed copy is ever made. The plain path is OpenBLAS's SGEMM; on AVX-512, gemm_avx512.cpp.
#pragma once
#include <cstdint>

namespace microtorch::kernels {

// A is (M, K), or (K, M) stored when trans_a; B is (K, N), or (N, K) stored when trans_b.
// On a CPU with AVX-512 it runs kernels/gemm_avx512.cpp (MICROTORCH_GEMM_OPENBLAS=1 keeps OpenBLAS).
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, const float* B,
          float beta, float* C);

// The plain path, and the AVX-512 kernel's test oracle: OpenBLAS's SGEMM (M, N, K >= 1).
void gemm_openblas(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                   const float* B, float beta, float* C);

}  // namespace microtorch::kernels
