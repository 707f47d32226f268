// softmax over contiguous rows (softmax_rows.h). The plain path these speed up: softmax_rows_reference
// below, one element at a time.
#include "softmax_rows.h"

#include <algorithm>

#include "fastmath.h"
#include "row_sums.h"
#include "parallel.h"

namespace microtorch::kernels {

void softmax_rows_reference(const float* x, float* y, int64_t R, int64_t N) {
  for (int64_t r = 0; r < R; ++r) {
    const float* xr = x + r * N;  // seek to row r
    float* yr = y + r * N;
    const float mx = kernels::max_of(xr, N);
    float s = 0.0f;
    for (int64_t j = 0; j < N; ++j) yr[j] = kernels::fast_exp(xr[j] - mx);
    for (int64_t j = 0; j < N; ++j) s += yr[j];
    for (int64_t j = 0; j < N; ++j) yr[j] /= s;
  }
}

void softmax_backward_rows_reference(const float* y, const float* dy, float* dx, int64_t R, int64_t N) {
  for (int64_t r = 0; r < R; ++r) {
    const float* yr = y + r * N;  // seek to row r
    const float* g = dy + r * N;
    float* d = dx + r * N;
    float dot = 0.0f;
    for (int64_t j = 0; j < N; ++j) dot += g[j] * yr[j];
    for (int64_t j = 0; j < N; ++j) d[j] = yr[j] * (g[j] - dot);
  }
}

namespace {
constexpr int64_t kLanes = 16;

void softmax_row(const float* __restrict x, float* __restrict y, int64_t N) {
  const float mx = kernels::max_of(x, N);
  float part[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= N; j += kLanes)
    for (int64_t l = 0; l < kLanes; ++l) {
      const float e = kernels::fast_exp(x[j + l] - mx);
      y[j + l] = e;
      part[l] += e;
    }
  for (int64_t l = 0; j < N; ++j, ++l) {
    y[j] = kernels::fast_exp(x[j] - mx);
    part[l] += y[j];
  }
  const float inv = 1.0f / kernels::pairwise_total(part);
  for (int64_t k = 0; k < N; ++k) y[k] *= inv;
}

void softmax_backward_row(const float* __restrict y, const float* __restrict g, float* __restrict d, int64_t N) {
  float part[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= N; j += kLanes)
    for (int64_t l = 0; l < kLanes; ++l) part[l] += g[j + l] * y[j + l];
  for (int64_t l = 0; j < N; ++j, ++l) part[l] += g[j] * y[j];
  const float dot = kernels::pairwise_total(part);
  for (int64_t k = 0; k < N; ++k) d[k] = y[k] * (g[k] - dot);
}
}  // namespace

void softmax_rows(const float* x, float* y, int64_t R, int64_t N) {
  parallel_for(0, R, std::max<int64_t>(1, kGrain / std::max<int64_t>(N, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) softmax_row(x + r * N, y + r * N, N);  // seek to row r
  });
}

void softmax_backward_rows(const float* y, const float* dy, float* dx, int64_t R, int64_t N) {
  parallel_for(0, R, std::max<int64_t>(1, kGrain / std::max<int64_t>(N, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) softmax_backward_row(y + r * N, dy + r * N, dx + r * N, N);
  });
}

}  // namespace microtorch::kernels
