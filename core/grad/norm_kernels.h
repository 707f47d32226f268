// The fast loops clip_grad_norm_ runs over every gradient value (the norm in
// rows.cpp, the scaling in state.cpp).
// The plain paths they speed up: `for k: acc += double(x[k]) * double(x[k])` (one chain of dependent adds)
// and `for k: x[k] *= coef`; both stay here as the tests' oracles.
#pragma once
#include <cstdint>

namespace microtorch::detail {

// sum of x[k]^2 over n floats, in double. Fast: 16 double partial sums (two AVX-512 registers' worth), then
// added pairwise; the plain loop adds one at a time. Both are exact to double rounding (|diff| ~1e-16 relative).
double sum_squares(const float* x, int64_t n);
double sum_squares_plain(const float* x, int64_t n);

// x[k] *= coef (the same floats as the plain loop: one multiply each, only vectorised).
void scale_values(float* x, int64_t n, float coef);
void scale_values_plain(float* x, int64_t n, float coef);

}  // namespace microtorch::detail
