// Speeds up gemm() (core/ops/matmul.cpp), whose plain path is OpenBLAS's SGEMM, the oracle this file is tested
// against (tests/test_gemm_avx512.cpp). On a CPU with AVX-512 this SGEMM keeps 24 of the 32 zmm registers as a
// 12 x 32 block of C and runs ~1.7x faster than OpenBLAS's AVX2 kernels, which are what OpenBLAS runs when
// OPENBLAS_CORETYPE=Haswell (as on this project's machines) and on CPUs it does not know.
//
// The loops are GotoBLAS's: B is packed by blocks of (kKc x kNc) into 32-column panels, and the micro-kernel
// multiplies 12 rows of A, read in place (broadcast loads need no packing), by one B panel into C. Each element
// of C is summed in the same order whatever the thread count (threads split the 32-column panels), so results
// are bit-identical for 1 and 2 threads. The AVX-512 functions carry target("avx512f"), so the kernel is
// there in every x86-64 build (the sanitizer build too) and gemm() calls it only when the CPU has AVX-512.
#include "gemm_avx512.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "parallel.h"

namespace microtorch::kernels {

namespace {

constexpr int64_t kMr = 12, kNr = 32;             // the register block of C
constexpr int64_t kKc = 384, kMc = 96, kNc = 4096;  // cache blocks: A rows ~144 KB (L2), B panel ~48 KB

// op(A)(i, k) and op(B)(k, j) of a row-major A (M, K) or (K, M) and B (K, N) or (N, K).
struct Operand {
  const float* p;
  bool trans;
  int64_t ld;
  float at(int64_t r, int64_t c) const { return trans ? p[c * ld + r] : p[r * ld + c]; }
};

// A rows [i0, i0 + rows < 12) x k [k0, k0 + kc) into one k-major 12-row panel, zero rows past `rows`: the row
// tail, which the micro-kernel could not read in place without reading past A.
void pack_a_tail(const Operand& A, int64_t i0, int64_t rows, int64_t k0, int64_t kc, float* out) {
  for (int64_t k = 0; k < kc; ++k, out += kMr) {
    for (int64_t r = 0; r < rows; ++r) out[r] = A.at(i0 + r, k0 + k);
    for (int64_t r = rows; r < kMr; ++r) out[r] = 0.0f;
  }
}

// B k [k0, k0 + kc) x columns [j0, j0 + nc) into 32-column panels, k-major, zero columns past nc.
void pack_b(const Operand& B, int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* out) {
  for (int64_t jp = 0; jp < nc; jp += kNr, out += kc * kNr) {
    const int64_t cols = std::min(kNr, nc - jp);
    if (B.trans) {  // B stored (N, K): a column of op(B) is a contiguous run along k
      for (int64_t c = 0; c < cols; ++c) {
        const float* src = B.p + (j0 + jp + c) * B.ld + k0;
        for (int64_t k = 0; k < kc; ++k) out[k * kNr + c] = src[k];
      }
      for (int64_t c = cols; c < kNr; ++c)
        for (int64_t k = 0; k < kc; ++k) out[k * kNr + c] = 0.0f;
      continue;
    }
    for (int64_t k = 0; k < kc; ++k) {
      const float* src = B.p + (k0 + k) * B.ld + j0 + jp;
      float* dst = out + k * kNr;
      for (int64_t c = 0; c < cols; ++c) dst[c] = src[c];
      for (int64_t c = cols; c < kNr; ++c) dst[c] = 0.0f;
    }
  }
}

// C[0..rows) x [0..cols) (row stride ldc) = alpha * (12 rows of A) x (b panel) + beta * C; beta == 0 never
// reads C. A's 12 rows are read in place: a[r * lda + k] when kRowsA (A stored (M, K)), else a[k * lda + r]
// (A stored (K, M), or a packed tail panel with lda 12).
template <bool kRowsA>
__attribute__((target("avx512f"))) void micro_kernel(int64_t kc, const float* a, int64_t lda, const float* b, float alpha, float beta, float* C,
                  int64_t ldc, int64_t rows, int64_t cols) {
  __m512 acc[kMr][2];
  for (int64_t r = 0; r < kMr; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k, b += kNr) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
    for (int64_t r = 0; r < kMr; ++r) {
      const __m512 ar = _mm512_set1_ps(kRowsA ? a[r * lda + k] : a[k * lda + r]);
      acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  const __mmask16 m0 = cols >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << cols) - 1);
  const __mmask16 m1 = cols >= 32 ? __mmask16(0xFFFF) : cols <= 16 ? __mmask16(0) : __mmask16((1u << (cols - 16)) - 1);
  for (int64_t r = 0; r < rows; ++r) {
    float* c = C + r * ldc;
    __m512 v0 = _mm512_mul_ps(va, acc[r][0]), v1 = _mm512_mul_ps(va, acc[r][1]);
    if (beta != 0.0f) {
      v0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, c), v0);
      v1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, c + 16), v1);
    }
    _mm512_mask_storeu_ps(c, m0, v0);
    _mm512_mask_storeu_ps(c + 16, m1, v1);
  }
}

// Packing buffers, reused from call to call (a steady loop makes no new pages).
std::vector<float>& buffer_a() { static thread_local std::vector<float> b; return b; }
std::vector<float>& buffer_b() { static thread_local std::vector<float> b; return b; }

}  // namespace

bool gemm_avx512_available() { return __builtin_cpu_supports("avx512f"); }

void gemm_avx512(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                 const float* B, float beta, float* C) {
  const Operand a{A, trans_a, trans_a ? M : K}, b{B, trans_b, trans_b ? K : N};
  std::vector<float>& bp = buffer_b();
  for (int64_t j0 = 0; j0 < N; j0 += kNc) {
    const int64_t nc = std::min(kNc, N - j0), panels = (nc + kNr - 1) / kNr;
    for (int64_t k0 = 0; k0 < K; k0 += kKc) {
      const int64_t kc = std::min(kKc, K - k0);
      const float block_beta = k0 == 0 ? beta : 1.0f;  // later k blocks add to what the first wrote
      bp.resize(size_t(panels * kc * kNr));
      pack_b(b, k0, kc, j0, nc, bp.data());
      const float* packed_b = bp.data();
      // Threads split the B panels. A is read in place, a block of kMc rows at a time (kept in L2 across
      // the panels); only the last, partial 12 rows are packed (a.at(i0 + r, k) for r < 12 would overrun).
      const int64_t work = M * nc * kc, full_rows = M / kMr * kMr;
      parallel_for(0, panels, work >= (int64_t{1} << 21) ? 1 : panels, [&](int64_t p_lo, int64_t p_hi) {
        std::vector<float>& tail = buffer_a();
        if (full_rows < M) {
          tail.resize(size_t(kMr * kc));
          pack_a_tail(a, full_rows, M - full_rows, k0, kc, tail.data());
        }
        for (int64_t i0 = 0; i0 < M; i0 += kMc) {
          const int64_t i_end = std::min(M, i0 + kMc);
          for (int64_t p = p_lo; p < p_hi; ++p) {
            const int64_t jp = p * kNr, cols = std::min(kNr, nc - jp);
            const float* panel = packed_b + p * kc * kNr;
            float* c = C + j0 + jp;
            for (int64_t i = i0; i < i_end; i += kMr) {
              const int64_t rows = std::min(kMr, M - i);
              if (rows < kMr)
                micro_kernel<false>(kc, tail.data(), kMr, panel, alpha, block_beta, c + i * N, N, rows, cols);
              else if (a.trans)
                micro_kernel<false>(kc, A + k0 * a.ld + i, a.ld, panel, alpha, block_beta, c + i * N, N, rows, cols);
              else
                micro_kernel<true>(kc, A + i * a.ld + k0, a.ld, panel, alpha, block_beta, c + i * N, N, rows, cols);
            }
          }
        }
      });
    }
  }
}

}  // namespace microtorch::kernels

#else  // not x86-64: gemm() keeps OpenBLAS

namespace microtorch::kernels {
bool gemm_avx512_available() { return false; }
void gemm_avx512(bool, bool, int64_t, int64_t, int64_t, float, const float*, const float*, float, float*) {}
}  // namespace microtorch::kernels

#endif
