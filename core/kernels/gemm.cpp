// gemm: the row-major SGEMM every matmul, linear and attention product runs. Plain path: OpenBLAS's SGEMM
// (gemm_openblas, through xtensor-blas's cxxblas binding); on a CPU with AVX-512, gemm_avx512.cpp; a single
// row of A (one token through a Linear), gemv.cpp.
#include "gemm.h"

#include <xtensor-blas/xblas.hpp>

#include <cstdlib>

#include "gemm_avx512.h"
#include "gemv.h"

namespace microtorch::kernels {

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, const float* B,
          float beta, float* C) {
  if (M == 0 || N == 0) return;
  if (K == 0) {  // an empty sum: C = beta * C
    for (int64_t i = 0; i < M * N; ++i) C[i] = beta == 0.0f ? 0.0f : beta * C[i];
    return;
  }
  if (M == 1) {  // one row of A (stored (1, K) or (K, 1): K contiguous floats either way) is a GEMV
    if (trans_b) return gemv_rows(N, K, alpha, B, A, beta, C);
    return gemv_cols(N, K, alpha, B, A, beta, C);
  }
  static const bool avx512 = gemm_avx512_available() && std::getenv("MICROTORCH_GEMM_OPENBLAS") == nullptr;
  if (avx512) return gemm_avx512(trans_a, trans_b, M, N, K, alpha, A, B, beta, C);
  gemm_openblas(trans_a, trans_b, M, N, K, alpha, A, B, beta, C);
}

// The plain path: OpenBLAS, as configured by the environment (OPENBLAS_CORETYPE, OPENBLAS_NUM_THREADS).
void gemm_openblas(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                   const float* B, float beta, float* C) {
  using cxxblas::Transpose;
  cxxblas::gemm<int>(cxxblas::RowMajor, trans_a ? Transpose::Trans : Transpose::NoTrans,
                     trans_b ? Transpose::Trans : Transpose::NoTrans, static_cast<int>(M), static_cast<int>(N),
                     static_cast<int>(K), alpha, A, static_cast<int>(trans_a ? M : K), B,
                     static_cast<int>(trans_b ? K : N), beta, C, static_cast<int>(N));
}

}  // namespace microtorch::kernels
