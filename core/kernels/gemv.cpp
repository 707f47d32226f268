// Speeds up gemv_rows_plain and gemv_cols_plain (below, the tests' oracle): the matrix-vector products a
// single token's Linear runs. Reading the matrix is the whole cost (a decoded GPT-2 124M token reads ~0.5 GB
// of weights and does 2 flops per float read), so the loops keep several rows in flight, each summed in 16
// float lanes (vectorised, short dependency chains), and ask for the next rows ahead of time.
#include "gemv.h"

#include <algorithm>

#include "parallel.h"
#include "prefetch.h"

namespace microtorch::kernels {

namespace {

constexpr int64_t kLanes = 16;            // partial sums per row: one AVX-512 or two AVX2 vectors
constexpr int64_t kRows = 4;              // rows of W read at once
constexpr int64_t kRowGrain = 64;         // rows per thread at least
constexpr int64_t kColGrain = 256;        // columns per thread at least (gemv_cols)
constexpr int64_t kAheadBytes = 1024;     // how far ahead of each row's read position to prefetch

// The 16 lanes added pairwise (the same tree for every row).
inline float fold(float* a) {
  for (int64_t w = kLanes / 2; w > 0; w /= 2)
    for (int64_t l = 0; l < w; ++l) a[l] += a[l + w];
  return a[0];
}

inline float finish(float s, float alpha, float beta, const float* y) { return alpha * s + (beta == 0.0f ? 0.0f : beta * *y); }

// Rows [n0, n1) of y = alpha W x + beta y.
void rows_range(int64_t n0, int64_t n1, int64_t K, float alpha, const float* __restrict W, const float* __restrict x,
                float beta, float* __restrict y) {
  const int64_t Kv = K / kLanes * kLanes;  // the vectorised part of each row; the rest is added after
  int64_t n = n0;
  for (; n + kRows <= n1; n += kRows) {
    const float* __restrict w0 = W + n * K;  // seek to row n and the three after it
    const float* __restrict w1 = w0 + K;
    const float* __restrict w2 = w1 + K;
    const float* __restrict w3 = w2 + K;
    float a0[kLanes] = {}, a1[kLanes] = {}, a2[kLanes] = {}, a3[kLanes] = {};
    for (int64_t k = 0; k < Kv; k += kLanes) {
      prefetch_ahead(w0 + k, kAheadBytes);
      prefetch_ahead(w1 + k, kAheadBytes);
      prefetch_ahead(w2 + k, kAheadBytes);
      prefetch_ahead(w3 + k, kAheadBytes);
      for (int64_t l = 0; l < kLanes; ++l) {
        a0[l] += w0[k + l] * x[k + l];
        a1[l] += w1[k + l] * x[k + l];
        a2[l] += w2[k + l] * x[k + l];
        a3[l] += w3[k + l] * x[k + l];
      }
    }
    float s0 = fold(a0), s1 = fold(a1), s2 = fold(a2), s3 = fold(a3);
    for (int64_t k = Kv; k < K; ++k) {
      s0 += w0[k] * x[k];
      s1 += w1[k] * x[k];
      s2 += w2[k] * x[k];
      s3 += w3[k] * x[k];
    }
    y[n] = finish(s0, alpha, beta, y + n);
    y[n + 1] = finish(s1, alpha, beta, y + n + 1);
    y[n + 2] = finish(s2, alpha, beta, y + n + 2);
    y[n + 3] = finish(s3, alpha, beta, y + n + 3);
  }
  for (; n < n1; ++n) {  // the last rows, one at a time, the same lanes
    const float* __restrict w = W + n * K;
    float a[kLanes] = {};
    for (int64_t k = 0; k < Kv; k += kLanes)
      for (int64_t l = 0; l < kLanes; ++l) a[l] += w[k + l] * x[k + l];
    float s = fold(a);
    for (int64_t k = Kv; k < K; ++k) s += w[k] * x[k];
    y[n] = finish(s, alpha, beta, y + n);
  }
}

// Columns [j0, j1) of y = alpha x B + beta y: the sums in acc, k in order (so the floats are the plain loop's).
void cols_range(int64_t j0, int64_t j1, int64_t N, int64_t K, float alpha, const float* __restrict B,
                const float* __restrict x, float beta, float* __restrict y) {
  constexpr int64_t kTile = 512;  // columns summed at once: the partial sums stay in L1
  float acc[kTile];
  for (int64_t t0 = j0; t0 < j1; t0 += kTile) {
    const int64_t w = std::min(kTile, j1 - t0);
    std::fill_n(acc, w, 0.0f);
    for (int64_t k = 0; k < K; ++k) {
      const float* __restrict b = B + k * N + t0;  // seek to row k, column t0
      const float xk = x[k];
      for (int64_t j = 0; j < w; ++j) acc[j] += xk * b[j];
    }
    for (int64_t j = 0; j < w; ++j) y[t0 + j] = finish(acc[j], alpha, beta, y + t0 + j);
  }
}

}  // namespace

void gemv_rows(int64_t N, int64_t K, float alpha, const float* W, const float* x, float beta, float* y) {
  parallel_for(0, N, std::max<int64_t>(kRowGrain, kGrain / std::max<int64_t>(K, 1)),
               [&](int64_t n0, int64_t n1) { rows_range(n0, n1, K, alpha, W, x, beta, y); });
}

void gemv_cols(int64_t N, int64_t K, float alpha, const float* B, const float* x, float beta, float* y) {
  parallel_for(0, N, std::max<int64_t>(kColGrain, kGrain / std::max<int64_t>(K, 1)),
               [&](int64_t j0, int64_t j1) { cols_range(j0, j1, N, K, alpha, B, x, beta, y); });
}

void gemv_rows_plain(int64_t N, int64_t K, float alpha, const float* W, const float* x, float beta, float* y) {
  for (int64_t n = 0; n < N; ++n) {
    float s = 0.0f;
    for (int64_t k = 0; k < K; ++k) s += W[n * K + k] * x[k];
    y[n] = finish(s, alpha, beta, y + n);
  }
}

void gemv_cols_plain(int64_t N, int64_t K, float alpha, const float* B, const float* x, float beta, float* y) {
  for (int64_t n = 0; n < N; ++n) {
    float s = 0.0f;
    for (int64_t k = 0; k < K; ++k) s += x[k] * B[k * N + n];
    y[n] = finish(s, alpha, beta, y + n);
  }
}

}  // namespace microtorch::kernels
