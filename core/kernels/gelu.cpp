// GELU loops (gelu.h). Each element's formula is written once, as an inline function of one float with its
// erf / exp / tanh passed in: the fast loops pass fastmath.h's branch-free functions (so the loop body has
// no calls and vectorizes), the references pass std::'s, so both compute exactly the same expression.
#include "gelu.h"

#include <cmath>

#include "fastmath.h"
#include "gelu_avx512.h"
#include "parallel.h"

namespace microtorch::kernels {

namespace {
constexpr float kAlpha = 0.70710678118654752f;  // 1 / sqrt(2)
constexpr float kPhi = 0.39894228040143268f;    // 1 / sqrt(2 pi)
constexpr float kBeta = 0.79788456080286536f;   // sqrt(2 / pi)
constexpr float kKappa = 0.044715f;

struct Fast {
  static float erf(float v) { return kernels::fast_erf(v); }
  static float exp(float v) { return kernels::fast_exp(v); }
  static float tanh(float v) { return kernels::fast_tanh(v); }
};
struct Std {
  static float erf(float v) { return std::erf(v); }
  static float exp(float v) { return std::exp(v); }
  static float tanh(float v) { return std::tanh(v); }
};

template <class M> inline float gelu_one(float v) {  // (v / 2) (1 + erf): one fma
  const float half = 0.5f * v;
  return std::fma(half, M::erf(v * kAlpha), half);
}
template <class M> inline float gelu_grad_one(float v) {
  return 0.5f * (1.0f + M::erf(v * kAlpha)) + v * kPhi * M::exp(-0.5f * v * v);
}
template <class M> inline float gelu_tanh_one(float v) {
  return 0.5f * v * (1.0f + M::tanh(kBeta * (v + kKappa * v * v * v)));
}
template <class M> inline float gelu_tanh_grad_one(float v) {
  const float t = M::tanh(kBeta * (v + kKappa * v * v * v));
  return 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * kBeta * (1.0f + 3.0f * kKappa * v * v);
}

// y[i] = f(x[i]) over [0, n), in kGrain-sized chunks across threads when large.
template <class F> void map_parallel(const float* x, float* y, int64_t n, F f) {
  parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
    float* __restrict out = y;
    for (int64_t i = lo; i < hi; ++i) out[i] = f(x[i]);
  });
}
// dx[i] = dy[i] * f(x[i]), likewise.
template <class F> void grad_parallel(const float* x, const float* dy, float* dx, int64_t n, F f) {
  parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
    float* __restrict d = dx;
    for (int64_t i = lo; i < hi; ++i) d[i] = dy[i] * f(x[i]);
  });
}
}  // namespace

// The per-element functions go in as lambdas, not function pointers, so that they inline and the loop vectorizes.
void gelu_forward_portable(const float* x, float* y, int64_t n) {
  map_parallel(x, y, n, [](float v) { return gelu_one<Fast>(v); });
}
void gelu_backward_portable(const float* x, const float* dy, float* dx, int64_t n) {
  grad_parallel(x, dy, dx, n, [](float v) { return gelu_grad_one<Fast>(v); });
}

// On AVX-512 CPUs the exact GELU is a table lookup (gelu_avx512.cpp), fewer instructions than the loops above.
void gelu_forward(const float* x, float* y, int64_t n) {
  static const bool avx512 = gelu_avx512_available();
  if (!avx512) return gelu_forward_portable(x, y, n);
  parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) { gelu_avx512_forward(x + lo, y + lo, hi - lo); });
}
void gelu_backward(const float* x, const float* dy, float* dx, int64_t n) {
  static const bool avx512 = gelu_avx512_available();
  if (!avx512) return gelu_backward_portable(x, dy, dx, n);
  parallel_for(0, n, kGrain,
               [&](int64_t lo, int64_t hi) { gelu_avx512_backward(x + lo, dy + lo, dx + lo, hi - lo); });
}
void gelu_tanh_forward(const float* x, float* y, int64_t n) {
  map_parallel(x, y, n, [](float v) { return gelu_tanh_one<Fast>(v); });
}
void gelu_tanh_backward(const float* x, const float* dy, float* dx, int64_t n) {
  grad_parallel(x, dy, dx, n, [](float v) { return gelu_tanh_grad_one<Fast>(v); });
}

void gelu_forward_reference(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = gelu_one<Std>(x[i]);
}
void gelu_backward_reference(const float* x, const float* dy, float* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * gelu_grad_one<Std>(x[i]);
}
void gelu_tanh_forward_reference(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = gelu_tanh_one<Std>(x[i]);
}
void gelu_tanh_backward_reference(const float* x, const float* dy, float* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * gelu_tanh_grad_one<Std>(x[i]);
}

}  // namespace microtorch::kernels
