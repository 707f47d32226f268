// Fast paths of layer_norm's row loops (layer_norm_rows.h); the plain loops come first.
#include "layer_norm_rows.h"

#include <cmath>
#include <vector>

#include "row_sums.h"

namespace microtorch::kernels {

void layer_norm_row_plain(const float* xr, const float* wp, const float* bp, int64_t M, float eps, float* yr,
                          float* mean, float* rstd) {
  double sum = 0.0, sq = 0.0;
  for (int64_t j = 0; j < M; ++j) sum += xr[j];
  const double mu = sum / static_cast<double>(M);
  for (int64_t j = 0; j < M; ++j) sq += (xr[j] - mu) * (xr[j] - mu);
  *mean = static_cast<float>(mu);
  *rstd = 1.0f / std::sqrt(static_cast<float>(sq / static_cast<double>(M)) + eps);
  for (int64_t j = 0; j < M; ++j) {
    const float xh = (xr[j] - *mean) * *rstd;
    yr[j] = (wp ? xh * wp[j] : xh) + (bp ? bp[j] : 0.0f);
  }
}

void layer_norm_row_backward_plain(const float* xr, const float* g, const float* wp, float mean, float rstd,
                                   int64_t M, double* dw, double* db, float* d) {
  double sum_g = 0.0, sum_gxh = 0.0;
  for (int64_t j = 0; j < M; ++j) {
    const float xh = (xr[j] - mean) * rstd;
    const float gw = wp ? g[j] * wp[j] : g[j];
    sum_g += gw;
    sum_gxh += static_cast<double>(gw) * xh;
    if (dw) dw[j] += static_cast<double>(g[j]) * xh;
    if (db) db[j] += g[j];
  }
  if (!d) return;
  const float mean_g = static_cast<float>(sum_g / static_cast<double>(M));
  const float mean_gxh = static_cast<float>(sum_gxh / static_cast<double>(M));
  for (int64_t j = 0; j < M; ++j) {
    const float xh = (xr[j] - mean) * rstd;
    const float gw = wp ? g[j] * wp[j] : g[j];
    d[j] = rstd * (gw - mean_g - xh * mean_gxh);
  }
}

namespace {
constexpr int kLanes = 8;  // double partial sums: one AVX-512 register

double sum_sq_dev(const float* __restrict x, double mu, int64_t M) {
  double part[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= M; j += kLanes)
    for (int l = 0; l < kLanes; ++l) part[l] += (x[j + l] - mu) * (x[j + l] - mu);
  for (int l = 0; j < M; ++j, ++l) part[l] += (x[j] - mu) * (x[j] - mu);
  return pairwise_total(part);
}

}  // namespace

void layer_norm_row(const float* __restrict xr, const float* __restrict wp, const float* __restrict bp, int64_t M,
                    float eps, float* __restrict yr, float* mean, float* rstd) {
  const double mu = sum_in_double(xr, M) / static_cast<double>(M);
  const double sq = sum_sq_dev(xr, mu, M);
  const float m = static_cast<float>(mu);
  const float r = 1.0f / std::sqrt(static_cast<float>(sq / static_cast<double>(M)) + eps);
  *mean = m;
  *rstd = r;
  if (wp && bp) {
    for (int64_t j = 0; j < M; ++j) yr[j] = (xr[j] - m) * r * wp[j] + bp[j];
  } else {
    for (int64_t j = 0; j < M; ++j) {
      const float xh = (xr[j] - m) * r;
      yr[j] = (wp ? xh * wp[j] : xh) + (bp ? bp[j] : 0.0f);
    }
  }
}

void layer_norm_row_backward(const float* __restrict xr, const float* __restrict g, const float* __restrict wp,
                             float mean, float rstd, int64_t M, double* __restrict dw, double* __restrict db,
                             float* __restrict d) {
  thread_local std::vector<float> scratch;  // (2, M): x_hat and gw of this row
  if (scratch.size() < static_cast<size_t>(2 * M)) scratch.resize(static_cast<size_t>(2 * M));
  float* __restrict xh = scratch.data();
  float* __restrict gw = scratch.data() + M;
  for (int64_t j = 0; j < M; ++j) xh[j] = (xr[j] - mean) * rstd;
  if (wp) {
    for (int64_t j = 0; j < M; ++j) gw[j] = g[j] * wp[j];
  } else {
    for (int64_t j = 0; j < M; ++j) gw[j] = g[j];
  }
  if (dw && db) {
    for (int64_t j = 0; j < M; ++j) {
      dw[j] += static_cast<double>(g[j]) * xh[j];
      db[j] += g[j];
    }
  } else if (dw) {
    for (int64_t j = 0; j < M; ++j) dw[j] += static_cast<double>(g[j]) * xh[j];
  } else if (db) {
    for (int64_t j = 0; j < M; ++j) db[j] += g[j];
  }
  if (!d) return;
  double sg[kLanes] = {}, sgx[kLanes] = {};  // sum of gw and of gw * x_hat, in one pass
  int64_t j = 0;
  for (; j + kLanes <= M; j += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      sg[l] += gw[j + l];
      sgx[l] += static_cast<double>(gw[j + l]) * xh[j + l];
    }
  for (int l = 0; j < M; ++j, ++l) {
    sg[l] += gw[j];
    sgx[l] += static_cast<double>(gw[j]) * xh[j];
  }
  const float mean_g = static_cast<float>(pairwise_total(sg) / static_cast<double>(M));
  const float mean_gxh = static_cast<float>(pairwise_total(sgx) / static_cast<double>(M));
  for (int64_t j = 0; j < M; ++j) d[j] = rstd * (gw[j] - mean_g - xh[j] * mean_gxh);
}

}  // namespace microtorch::kernels
