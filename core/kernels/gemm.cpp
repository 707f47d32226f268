// gemm: the row-major SGEMM every matmul, linear and attention product runs. Plain path: OpenBLAS's SGEMM
// (gemm_openblas, through xtensor-blas's cxxblas binding); on a CPU with AVX-512, gemm_avx512.cpp; a single
// row of A (one token through a Linear), gemv.cpp.
#include "gemm.h"

#include <xtensor-blas/xblas.hpp>

#include <algorithm>
#include <cstdlib>

#include "gemm_avx512.h"
#include "gemv.h"

namespace microtorch::kernels {

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0) {  // an empty sum: C = beta * C
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
    return;
  }
  // one row of A (stored (1, K), or (K, 1) with lda 1: K contiguous floats either way) against a packed B
  // is a GEMV; C's one row is contiguous
  if (M == 1 && (!trans_a || lda == 1) && ldb == (trans_b ? K : N)) {
    if (trans_b) return gemv_rows(N, K, alpha, B, A, beta, C);
    return gemv_cols(N, K, alpha, B, A, beta, C);
  }
  static const bool avx512 = gemm_avx512_available() && std::getenv("MICROTORCH_GEMM_OPENBLAS") == nullptr;
  if (avx512) return gemm_avx512(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  gemm_openblas(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

// A matrix as the packed gemm reads it: stored transposed or not, and its stored row's stride.
template <class T> static bool stored(const MatrixOf<T>& m, bool* trans, int64_t* ld) {
  if ((m.cs == 1 || m.cols <= 1) && (m.rows <= 1 || m.rs >= std::max<int64_t>(m.cols, 1))) {
    *trans = false;
    *ld = m.rows <= 1 ? std::max<int64_t>(m.cols, 1) : m.rs;
    return true;
  }
  if ((m.rs == 1 || m.rows <= 1) && (m.cols <= 1 || m.cs >= std::max<int64_t>(m.rows, 1))) {
    *trans = true;
    *ld = m.cols <= 1 ? std::max<int64_t>(m.rows, 1) : m.cs;
    return true;
  }
  return false;
}

template <class T> bool MatrixOf<T>::readable() const {
  bool t;
  int64_t ld;
  return stored(*this, &t, &ld);
}
template struct MatrixOf<float>;
template struct MatrixOf<double>;

void gemm(bool ta, const MatrixOf<float>& A, bool tb, const MatrixOf<float>& B, float alpha, float beta,
          const MatrixOf<float>& C) {
  bool sa = false, sb = false, sc = false;
  int64_t lda = 0, ldb = 0, ldc = 0;
  stored(A, &sa, &lda);
  stored(B, &sb, &ldb);
  stored(C, &sc, &ldc);
  const int64_t M = ta ? A.cols : A.rows, K = ta ? A.rows : A.cols, N = tb ? B.rows : B.cols;
  gemm(sa != ta, sb != tb, M, N, K, alpha, A.p, lda, B.p, ldb, beta, C.p, ldc);
}

void gemm(bool ta, const MatrixOf<double>& A, bool tb, const MatrixOf<double>& B, double alpha, double beta,
          const MatrixOf<double>& C) {
  bool sa = false, sb = false, sc = false;
  int64_t lda = 0, ldb = 0, ldc = 0;
  stored(A, &sa, &lda);
  stored(B, &sb, &ldb);
  stored(C, &sc, &ldc);
  const int64_t M = ta ? A.cols : A.rows, K = ta ? A.rows : A.cols, N = tb ? B.rows : B.cols;
  if (M == 0 || N == 0) return;
  if (K == 0) {
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) C.p[i * ldc + j] = beta == 0.0 ? 0.0 : beta * C.p[i * ldc + j];
    return;
  }
  using cxxblas::Transpose;
  cxxblas::gemm<int>(cxxblas::RowMajor, sa != ta ? Transpose::Trans : Transpose::NoTrans,
                     sb != tb ? Transpose::Trans : Transpose::NoTrans, static_cast<int>(M), static_cast<int>(N),
                     static_cast<int>(K), alpha, A.p, static_cast<int>(lda), B.p, static_cast<int>(ldb), beta, C.p,
                     static_cast<int>(ldc));
}

// The plain path: OpenBLAS, as configured by the environment (OPENBLAS_CORETYPE, OPENBLAS_NUM_THREADS).
void gemm_openblas(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                   int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  using cxxblas::Transpose;
  cxxblas::gemm<int>(cxxblas::RowMajor, trans_a ? Transpose::Trans : Transpose::NoTrans,
                     trans_b ? Transpose::Trans : Transpose::NoTrans, static_cast<int>(M), static_cast<int>(N),
                     static_cast<int>(K), alpha, A, static_cast<int>(lda), B, static_cast<int>(ldb), beta, C,
                     static_cast<int>(ldc));
}

}  // namespace microtorch::kernels
