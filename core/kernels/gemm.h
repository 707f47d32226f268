// Row-major SGEMM, C (M, N) = alpha * op(A) op(B) + beta * C (gemm.cpp). op() transposes by flag, so no
// transposed copy is ever made. The plain path is OpenBLAS's SGEMM; on AVX-512, gemm_avx512.cpp.
#pragma once
#include <cstdint>

namespace microtorch::kernels {

// A is (M, K), or (K, M) stored when trans_a; B is (K, N), or (N, K) stored when trans_b; each stored
// matrix's rows are ld elements apart (lda, ldb, ldc, at least the row's length), so a matrix inside a wider
// one (an attention head inside (B, T, 3C)) is read and written in place.
// On a CPU with AVX-512 it runs kernels/gemm_avx512.cpp (MICROTORCH_GEMM_OPENBLAS=1 keeps OpenBLAS).
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc);
// Packed matrices: ld is the stored row's length.
inline void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                 const float* B, float beta, float* C) {
  gemm(trans_a, trans_b, M, N, K, alpha, A, trans_a ? M : K, B, trans_b ? K : N, beta, C, N);
}

// A matrix stored anywhere: element (i, j) at p[i * rs + j * cs] (a transposed tensor, an attention head
// inside (B, T, 3C)). The SGEMM reads it in place when one of its dims steps by one element.
template <class T> struct MatrixOf {
  T* p;
  int64_t rows, cols, rs, cs;
  bool readable() const;  // rows or columns step by one (a dim of size 1 steps as it likes)
};
using Matrix = MatrixOf<float>;
// C = alpha op(A) op(B) + beta C, op() transposing when ta / tb; A, B and C readable, C's columns stepping by
// one. Each is handed to gemm() above in place, as a stored matrix, its transposition and its row stride.
// float64 runs OpenBLAS's DGEMM (no tuned kernel: float64 is for precise checks, not speed).
void gemm(bool ta, const MatrixOf<float>& A, bool tb, const MatrixOf<float>& B, float alpha, float beta,
          const MatrixOf<float>& C);
void gemm(bool ta, const MatrixOf<double>& A, bool tb, const MatrixOf<double>& B, double alpha, double beta,
          const MatrixOf<double>& C);

// The plain path, and the AVX-512 kernel's test oracle: OpenBLAS's SGEMM (M, N, K >= 1).
void gemm_openblas(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                   int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// The signature gemm, gemm_openblas and gemm_avx512 share, and one of them run on packed matrices (each ld
// the stored row's length), as the tests compare them.
using Sgemm = void(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t, float,
                   float*, int64_t);
inline void gemm_packed(Sgemm* sgemm, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                        const float* A, const float* B, float beta, float* C) {
  sgemm(trans_a, trans_b, M, N, K, alpha, A, trans_a ? M : K, B, trans_b ? K : N, beta, C, N);
}

}  // namespace microtorch::kernels
