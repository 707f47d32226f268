// Fast path of the Adam/AdamW update (adam_kernel.h); the plain loop is first.
// sqrt of a negative sets errno, which keeps the compiler from vectorising a loop holding std::sqrt; nothing
// reads errno here (and v >= 0), so CMakeLists.txt compiles this file with -fno-math-errno (sqrt stays
// correctly rounded: the same floats).
#include "adam.h"

#include <algorithm>
#include <cmath>

namespace microtorch::kernels {

void adam_kernel_plain(float* w, const float* gp, float* m, float* v, float* vmax, int64_t n, const AdamScalars& s) {
  for (int64_t k = 0; k < n; ++k) {
    float g = gp[k];
    if (s.decoupled) w[k] = w[k] * s.shrink;
    else if (s.weight_decay) g = std::fma(w[k], s.wd, g);
    m[k] = std::fma(g, s.keep1, m[k] * s.b1);
    v[k] = v[k] * s.b2 + (s.keep2 * g) * g;
    float second = v[k];
    if (vmax) second = vmax[k] = std::max(vmax[k], v[k]);
    const float denom = std::sqrt(second) / s.bc2_sqrt + s.eps;
    w[k] = w[k] + (s.neg_step * m[k]) / denom;
  }
}

// One branch-free loop per (decoupled, weight decay) choice; restrict lets the compiler vectorise it.
template <bool kDecoupled, bool kDecay>
static void adam_loop(float* __restrict w, const float* __restrict gp, float* __restrict m, float* __restrict v,
                      int64_t n, const AdamScalars& s) {
  const float b1 = s.b1, b2 = s.b2, keep1 = s.keep1, keep2 = s.keep2, shrink = s.shrink, wd = s.wd;
  const float bc2_sqrt = s.bc2_sqrt, eps = s.eps, neg_step = s.neg_step;
  for (int64_t k = 0; k < n; ++k) {
    float g = gp[k];
    float wk = w[k];
    if (kDecoupled) wk = wk * shrink;
    else if (kDecay) g = std::fma(wk, wd, g);
    const float mk = std::fma(g, keep1, m[k] * b1);
    const float vk = v[k] * b2 + (keep2 * g) * g;
    m[k] = mk;
    v[k] = vk;
    const float denom = std::sqrt(vk) / bc2_sqrt + eps;
    w[k] = wk + (neg_step * mk) / denom;
  }
}

void adam_kernel(float* w, const float* g, float* m, float* v, float* vmax, int64_t n, const AdamScalars& s) {
  if (vmax) return adam_kernel_plain(w, g, m, v, vmax, n, s);  // amsgrad: rare, the plain loop
  if (s.decoupled) return adam_loop<true, false>(w, g, m, v, n, s);
  if (s.weight_decay) return adam_loop<false, true>(w, g, m, v, n, s);
  adam_loop<false, false>(w, g, m, v, n, s);
}

}  // namespace microtorch::kernels
