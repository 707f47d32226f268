// Fast path of clip_grad_norm_'s two passes (norm_kernels.h); the plain loops are beside them.
#include "norm_kernels.h"

#include "../kernels/row_sums.h"

namespace microtorch::detail {

double sum_squares_plain(const float* x, int64_t n) {
  double acc = 0.0;
  for (int64_t k = 0; k < n; ++k) acc += static_cast<double>(x[k]) * static_cast<double>(x[k]);
  return acc;
}

double sum_squares(const float* __restrict x, int64_t n) {
  constexpr int kLanes = 16;  // independent partial sums: the compiler keeps them in vector registers
  double part[kLanes] = {};
  int64_t k = 0;
  for (; k + kLanes <= n; k += kLanes)
    for (int l = 0; l < kLanes; ++l) part[l] += static_cast<double>(x[k + l]) * static_cast<double>(x[k + l]);
  for (int l = 0; k < n; ++k, ++l) part[l] += static_cast<double>(x[k]) * static_cast<double>(x[k]);
  return kernels::pairwise_total(part);
}

void scale_values_plain(float* x, int64_t n, float coef) {
  for (int64_t k = 0; k < n; ++k) x[k] *= coef;
}

void scale_values(float* __restrict x, int64_t n, float coef) {
  for (int64_t k = 0; k < n; ++k) x[k] *= coef;  // n in a local, x restrict: vectorised
}

}  // namespace microtorch::detail
