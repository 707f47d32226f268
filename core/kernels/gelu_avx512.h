// Internal: the exact GELU's loops as AVX-512 table lookups, for gelu.cpp; gelu_avx512.cpp says why and how.
#pragma once
#include <cstdint>

namespace microtorch::kernels {

// True on an x86-64 build running on a CPU with AVX-512.
bool gelu_avx512_available();

// Same contracts as gelu_forward / gelu_backward (gelu.h), on one thread: y[i] = gelu(x[i]),
// dx[i] = dy[i] * gelu'(x[i]). Call only when gelu_avx512_available().
void gelu_avx512_forward(const float* x, float* y, int64_t n);
void gelu_avx512_backward(const float* x, const float* dy, float* dx, int64_t n);

}  // namespace microtorch::kernels
