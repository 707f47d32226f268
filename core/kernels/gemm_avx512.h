// Internal: an AVX-512 SGEMM for gemm() (core/ops/matmul.cpp); gemm_avx512.cpp says why and how.
#pragma once
#include <cstdint>

namespace microtorch::kernels {

// True on an x86-64 build running on a CPU with AVX-512.
bool gemm_avx512_available();

// Same contract as gemm() in gemm.h: C (M, N) = alpha * op(A) op(B) + beta * C, row-major, op() a
// transposition by flag; beta == 0 never reads C. Requires M, N, K >= 1.
// On packed matrices: gemm_packed(gemm_avx512, ...) (gemm.h).
void gemm_avx512(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                 int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

}  // namespace microtorch::kernels
