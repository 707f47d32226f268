// GELU forward and backward over contiguous float arrays: the fast loops and their plain references.
// The plain path they speed up is gelu_*_reference below: one element at a time through glibc's scalar
// erff / expf / tanhf. The fast loops use fastmath.h's branch-free erf, exp and tanh (<= 2 ulp), which GCC
// vectorizes with -march=native, and split large arrays across threads (each element written once, so the
// floats do not depend on the thread count). Formulas are PyTorch's CPU kernels' (GeluKernel.cpp):
//   exact: y = 0.5 x (1 + erf(x / sqrt 2)),          dy/dx = Phi(x) + x phi(x), phi(x) = exp(-x^2/2) / sqrt(2 pi)
//   tanh:  y = 0.5 x (1 + tanh u), u = sqrt(2/pi) (x + 0.044715 x^3),
//          dy/dx = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 0.044715 x^2)
#pragma once
#include <cstdint>

namespace microtorch::kernels {

// y[i] = gelu(x[i]); dx[i] = dy[i] * gelu'(x[i]) (the caller adds dx into the gradient). n elements each;
// y / dx may not overlap x or dy.
void gelu_forward(const float* x, float* y, int64_t n);
void gelu_backward(const float* x, const float* dy, float* dx, int64_t n);
void gelu_tanh_forward(const float* x, float* y, int64_t n);
void gelu_tanh_backward(const float* x, const float* dy, float* dx, int64_t n);

// The exact GELU's loops above are table lookups on CPUs with AVX-512 (gelu_avx512.h); these are the
// vectorized fastmath loops they replace there, and run elsewhere.
void gelu_forward_portable(const float* x, float* y, int64_t n);
void gelu_backward_portable(const float* x, const float* dy, float* dx, int64_t n);

// The same with std::erf, std::exp and std::tanh, one element at a time: the tests' oracle.
void gelu_forward_reference(const float* x, float* y, int64_t n);
void gelu_backward_reference(const float* x, const float* dy, float* dx, int64_t n);
void gelu_tanh_forward_reference(const float* x, float* y, int64_t n);
void gelu_tanh_backward_reference(const float* x, const float* dy, float* dx, int64_t n);

}  // namespace microtorch::kernels
