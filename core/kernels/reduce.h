// Fast sums over float32 storage and their plain references (reduce.cpp).
// The plain loops they speed up: `acc += x[i]` over everything, or over one dim for each output element.
#pragma once
#include <cstdint>

#include "elementwise.h"  // Dims

namespace microtorch::kernels {

// The sum of x[0, n): blocks of kSumBlock elements, each summed in 64 float lanes (16 below 1024
// elements) then pairwise; the
// block sums added in order in double. The blocks are fixed, so the result is the same for any thread count.
float sum_all(const float* x, int64_t n);
double sum_all_reference(const float* x, int64_t n);  // one double accumulator, in order
constexpr int64_t kSumBlock = 4096;

// out (outer, inner) = x (outer, R, inner) summed over R.
void sum_dim(const float* x, int64_t outer, int64_t R, int64_t inner, float* out);
void sum_dim_reference(const float* x, int64_t outer, int64_t R, int64_t inner, float* out);

// out (shape) = g (g_shape) summed over the dims broadcasting added: the leading dims shape lacks and the
// dims where shape has 1. shape must broadcast to g_shape (the caller checked).
void sum_to(const float* g, const Dims& g_shape, float* out, const Dims& shape);
void sum_to_reference(const float* g, const Dims& g_shape, float* out, const Dims& shape);
// sum_to of the products a[i] * b[i] (a and b both of g_shape), without writing them: the same floats as
// sum_to of the written product, one pass over a and b instead of three.
void sum_to_product(const float* a, const float* b, const Dims& g_shape, float* out, const Dims& shape);

}  // namespace microtorch::kernels
