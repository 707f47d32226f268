// Fast row sums in double (row_sums.h); the plain loops first.
#include "row_sums.h"

namespace microtorch::kernels {

double sum_in_double_plain(const float* x, int64_t n) {
  double acc = 0.0;
  for (int64_t j = 0; j < n; ++j) acc += x[j];
  return acc;
}

double dot_in_double_plain(const float* a, const float* b, int64_t n) {
  double acc = 0.0;
  for (int64_t j = 0; j < n; ++j) acc += static_cast<double>(a[j]) * b[j];
  return acc;
}

namespace {
constexpr int kLanes = 8;
}  // namespace

double sum_in_double(const float* __restrict x, int64_t n) {
  double part[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) part[l] += x[j + l];
  for (int l = 0; j < n; ++j, ++l) part[l] += x[j];
  return pairwise_total(part);
}

double dot_in_double(const float* __restrict a, const float* __restrict b, int64_t n) {
  double part[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) part[l] += static_cast<double>(a[j + l]) * b[j + l];
  for (int l = 0; j < n; ++j, ++l) part[l] += static_cast<double>(a[j]) * b[j];
  return pairwise_total(part);
}

}  // namespace microtorch::kernels
