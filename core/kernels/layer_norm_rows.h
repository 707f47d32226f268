// Layer_norm's per-row loops (layer_norm.cpp). The plain paths they speed up are the
// *_plain functions, one element at a time with every sum a single chain of dependent double adds; the fast
// ones sum in 8 double partial sums and run the float work branch-free over restrict rows (vectorised). The
// floats differ from the plain ones only by the double sums' rounding (~1e-16 relative); tests compare them.
#pragma once
#include <cstdint>

namespace microtorch::kernels {

// One row of M values: mean, rstd = 1 / sqrt(biased var + eps), y = (x - mean) * rstd * w + b (w, b may be null).
void layer_norm_row(const float* x, const float* w, const float* b, int64_t M, float eps, float* y, float* mean,
                    float* rstd);
void layer_norm_row_plain(const float* x, const float* w, const float* b, int64_t M, float eps, float* y,
                          float* mean, float* rstd);

// One row's backward: x_hat = (x - mean) * rstd, gw = dy * w;
// dx = rstd * (gw - mean(gw) - x_hat * mean(gw * x_hat)); dw[j] += dy * x_hat; db[j] += dy (each may be null).
void layer_norm_row_backward(const float* x, const float* dy, const float* w, float mean, float rstd, int64_t M,
                             double* dw, double* db, float* dx);
void layer_norm_row_backward_plain(const float* x, const float* dy, const float* w, float mean, float rstd,
                                   int64_t M, double* dw, double* db, float* dx);

}  // namespace microtorch::kernels
