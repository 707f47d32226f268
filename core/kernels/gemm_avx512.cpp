// Speeds up gemm() (core/kernels/gemm.cpp), whose plain path is OpenBLAS's SGEMM, the oracle this file is
// tested against. On a CPU with AVX-512 this SGEMM keeps 24 of the 32 zmm registers as a 12 x 32 block of C,
// twice the width of OpenBLAS's AVX2 kernels, which are what OpenBLAS runs when OPENBLAS_CORETYPE=Haswell and
// on CPUs it does not know.
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
#include <array>
#include <utility>
#include <vector>

#include "parallel.h"

namespace microtorch::kernels {

namespace {

constexpr int64_t kMr = 12, kNr = 32;             // the register block of C
constexpr int64_t kKc = 384, kMc = 96, kNc = 4096;  // cache blocks: A rows ~144 KB (L2), B panel ~48 KB

// A row-major A (M, K) or (K, M) (trans), or B (K, N) or (N, K), with its row stride ld.
struct Operand {
  const float* p;
  bool trans;
  int64_t ld;
};

// dst[j * ldd + i] = src[i * lds + j] for an 8 x 8 block: AVX's unpack, shuffle and lane-permute transpose.
__attribute__((target("avx2"))) void transpose_8x8(const float* src, int64_t lds, float* dst, int64_t ldd) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * lds);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(dst + i * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
    _mm256_storeu_ps(dst + (i + 4) * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
  }
}

// B k [k0, k0 + kc) x columns [j0, j0 + nc) into 32-column panels, k-major, zero columns past nc.
__attribute__((target("avx2"))) void pack_b(const Operand& B, int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* out) {
  for (int64_t jp = 0; jp < nc; jp += kNr, out += kc * kNr) {
    const int64_t cols = std::min(kNr, nc - jp);
    if (B.trans) {  // B stored (N, K): a column of op(B) is a contiguous run along k
      const int64_t c8 = cols / 8 * 8, k8 = kc / 8 * 8;
      for (int64_t c = 0; c < c8; c += 8)  // 8 x 8 blocks turned in registers
        for (int64_t k = 0; k < k8; k += 8) transpose_8x8(B.p + (j0 + jp + c) * B.ld + k0 + k, B.ld, out + k * kNr + c, kNr);
      for (int64_t c = 0; c < cols; ++c) {  // what the blocks left: the last k for every column, the last columns
        const float* src = B.p + (j0 + jp + c) * B.ld + k0;
        for (int64_t k = c < c8 ? k8 : 0; k < kc; ++k) out[k * kNr + c] = src[k];
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

// C[0..R) x [0..cols) (row stride ldc) = alpha * (R rows of A) x (b panel) + beta * C; beta == 0 never reads
// C. A's R <= 12 rows are read in place: a[r * lda + k] when kRowsA (A stored (M, K)), else a[k * lda + r]
// (A stored (K, M)). R is a template argument so that a short last tile costs what it computes.
template <bool kRowsA, int R>
__attribute__((target("avx512f"))) void micro_kernel(int64_t kc, const float* a, int64_t lda, const float* b,
                                                      float alpha, float beta, float* C, int64_t ldc, int64_t cols) {
  __m512 acc[R][2];
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k, b += kNr) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
    for (int r = 0; r < R; ++r) {
      const __m512 ar = _mm512_set1_ps(kRowsA ? a[r * lda + k] : a[k * lda + r]);
      acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  const __mmask16 m0 = cols >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << cols) - 1);
  const __mmask16 m1 = cols >= 32 ? __mmask16(0xFFFF) : cols <= 16 ? __mmask16(0) : __mmask16((1u << (cols - 16)) - 1);
  for (int r = 0; r < R; ++r) {
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

// The micro-kernels for 1..12 rows, by A's layout: kTile[layout][rows - 1].
using MicroKernel = void (*)(int64_t, const float*, int64_t, const float*, float, float, float*, int64_t, int64_t);
template <bool kRowsA, size_t... R>
constexpr std::array<MicroKernel, sizeof...(R)> kernels_by_rows(std::index_sequence<R...>) {
  return {&micro_kernel<kRowsA, int(R) + 1>...};
}
const std::array<MicroKernel, kMr> kTile[2] = {kernels_by_rows<false>(std::make_index_sequence<kMr>()),
                                               kernels_by_rows<true>(std::make_index_sequence<kMr>())};

// The packed B block, reused from call to call (a steady loop makes no new pages).
std::vector<float>& buffer_b() { static thread_local std::vector<float> b; return b; }

}  // namespace

bool gemm_avx512_available() { return __builtin_cpu_supports("avx512f"); }

void gemm_avx512(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                 int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  const Operand a{A, trans_a, lda}, b{B, trans_b, ldb};
  std::vector<float>& bp = buffer_b();
  for (int64_t j0 = 0; j0 < N; j0 += kNc) {
    const int64_t nc = std::min(kNc, N - j0), panels = (nc + kNr - 1) / kNr;
    for (int64_t k0 = 0; k0 < K; k0 += kKc) {
      const int64_t kc = std::min(kKc, K - k0);
      const float block_beta = k0 == 0 ? beta : 1.0f;  // later k blocks add to what the first wrote
      bp.resize(size_t(panels * kc * kNr));
      pack_b(b, k0, kc, j0, nc, bp.data());
      const float* packed_b = bp.data();
      // A is read in place, a block of kMc rows at a time (kept in L2 across the panels).
      auto panels_range = [&](int64_t p_lo, int64_t p_hi) {
        for (int64_t i0 = 0; i0 < M; i0 += kMc) {
          const int64_t i_end = std::min(M, i0 + kMc);
          for (int64_t p = p_lo; p < p_hi; ++p) {
            const int64_t jp = p * kNr, cols = std::min(kNr, nc - jp);
            const float* panel = packed_b + p * kc * kNr;
            for (int64_t i = i0; i < i_end; i += kMr) {
              const float* a_rows = a.trans ? A + k0 * a.ld + i : A + i * a.ld + k0;
              kTile[a.trans ? 0 : 1][size_t(std::min(kMr, M - i) - 1)](kc, a_rows, a.ld, panel, alpha, block_beta,
                                                                     C + i * ldc + j0 + jp, ldc, cols);
            }
          }
        }
      };
      // Threads split the B panels, when the block is worth it.
      if (M * nc * kc >= (int64_t{1} << 21) && num_threads() > 1)
        parallel_for(0, panels, 1, panels_range);
      else
        panels_range(0, panels);
    }
  }
}

}  // namespace microtorch::kernels

#else  // not x86-64: gemm() keeps OpenBLAS

namespace microtorch::kernels {
bool gemm_avx512_available() { return false; }
void gemm_avx512(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t, float, float*,
                 int64_t) {}
}  // namespace microtorch::kernels

#endif
