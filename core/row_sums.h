// Internal (not installed): sums of float rows in double (attention's softmax denominators and its backward's
// rowsum(P * dP)). The plain paths they speed up, kept as the tests' oracles: one chain of dependent double
// adds (`acc += x[j]`); the fast ones keep 8 partial sums (one AVX-512 register) added pairwise at the end.
#pragma once
#include <cstdint>

namespace microtorch::detail {

double sum_in_double(const float* x, int64_t n);
double sum_in_double_plain(const float* x, int64_t n);
double dot_in_double(const float* a, const float* b, int64_t n);  // sum of double(a[j]) * b[j]
double dot_in_double_plain(const float* a, const float* b, int64_t n);

}  // namespace microtorch::detail
