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

// C (M, N) = beta * C, what a product with K = 0 (an empty sum) leaves; beta == 0 never reads C.
template <class T> static void scale_c(int64_t M, int64_t N, T beta, T* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == T(0) ? T(0) : beta * C[i * ldc + j];
}

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0) return scale_c(M, N, beta, C, ldc);
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

namespace {
// A product of MatrixOf as a row-major GEMM sees it: op flags for A and B as stored, sizes and row strides.
struct StoredProduct {
  bool ta, tb;
  int64_t M, N, K, lda, ldb, ldc;
};
}  // namespace
template <class T>
static StoredProduct stored_product(bool ta, const MatrixOf<T>& A, bool tb, const MatrixOf<T>& B,
                                    const MatrixOf<T>& C) {
  bool sa = false, sb = false, sc = false;
  int64_t lda = 0, ldb = 0, ldc = 0;
  stored(A, &sa, &lda);
  stored(B, &sb, &ldb);
  stored(C, &sc, &ldc);
  return {sa != ta, sb != tb, ta ? A.cols : A.rows, tb ? B.rows : B.cols, ta ? A.rows : A.cols, lda, ldb, ldc};
}

void gemm(bool ta, const MatrixOf<float>& A, bool tb, const MatrixOf<float>& B, float alpha, float beta,
          const MatrixOf<float>& C) {
  const StoredProduct s = stored_product(ta, A, tb, B, C);
  gemm(s.ta, s.tb, s.M, s.N, s.K, alpha, A.p, s.lda, B.p, s.ldb, beta, C.p, s.ldc);
}

void gemm(bool ta, const MatrixOf<double>& A, bool tb, const MatrixOf<double>& B, double alpha, double beta,
          const MatrixOf<double>& C) {
  const StoredProduct s = stored_product(ta, A, tb, B, C);
  if (s.M == 0 || s.N == 0) return;
  if (s.K == 0) return scale_c(s.M, s.N, beta, C.p, s.ldc);
  using cxxblas::Transpose;
  cxxblas::gemm<int>(cxxblas::RowMajor, s.ta ? Transpose::Trans : Transpose::NoTrans,
                     s.tb ? Transpose::Trans : Transpose::NoTrans, static_cast<int>(s.M), static_cast<int>(s.N),
                     static_cast<int>(s.K), alpha, A.p, static_cast<int>(s.lda), B.p, static_cast<int>(s.ldb), beta,
                     C.p, static_cast<int>(s.ldc));
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
