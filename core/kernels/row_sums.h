// Sums of float rows in double (attention's softmax denominators and its backward's
// rowsum(P * dP)). The plain paths they speed up, kept as the tests' oracles: one chain of dependent double
// adds (`acc += x[j]`); the fast ones keep 8 partial sums (one AVX-512 register) added pairwise at the end.
#pragma once
#include <cstdint>

namespace microtorch::kernels {

// part[0] + ... + part[N - 1] added pairwise (N / 2 sums of neighbours' halves, then half again, ...), the
// order every lane-split sum here and in softmax_rows.cpp folds its partial sums in. N a power of two.
template <class T, int N> T pairwise_total(T (&part)[N]) {
  static_assert((N & (N - 1)) == 0, "pairwise_total: N must be a power of two");
  for (int width = N / 2; width > 0; width /= 2)
    for (int l = 0; l < width; ++l) part[l] += part[l + width];
  return part[0];
}

double sum_in_double(const float* x, int64_t n);
double sum_in_double_plain(const float* x, int64_t n);
double dot_in_double(const float* a, const float* b, int64_t n);  // sum of double(a[j]) * b[j]
double dot_in_double_plain(const float* a, const float* b, int64_t n);

}  // namespace microtorch::kernels
