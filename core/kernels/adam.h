// The Adam/AdamW element loop (adam.cpp), its float order torch 1.13's
// _single_tensor_adam(w). The plain path it speeds up is adam_kernel_plain, the loop over k with the
// options tested per element; adam_kernel hoists them and promises the compiler w, g, m, v do not overlap,
// so the same per-element float operations run 16 at a time (bit-identical: tests compare the two).
#pragma once
#include <cstdint>

namespace microtorch::kernels {

struct AdamScalars {
  bool decoupled = false;   // AdamW: w *= shrink first; Adam: g = fma(w, wd, g) when wd != 0
  bool weight_decay = false;
  float b1 = 0, b2 = 0, keep1 = 0, keep2 = 0, shrink = 1, wd = 0, bc2_sqrt = 1, eps = 0, neg_step = 0;
};

// w, g, m, v, vmax (n floats each; vmax null unless amsgrad). g is read only.
void adam_kernel(float* w, const float* g, float* m, float* v, float* vmax, int64_t n, const AdamScalars& s);
void adam_kernel_plain(float* w, const float* g, float* m, float* v, float* vmax, int64_t n, const AdamScalars& s);

}  // namespace microtorch::kernels
