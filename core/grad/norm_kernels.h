// The loops clip_grad_norm_ runs over every gradient value: each gradient's 2-norm, float for float as
// PyTorch 1.13's torch.norm(g, 2) (its contiguous float32 kernel, as built for AVX2), and the scaling.
// norm2_plain is PyTorch's loop as written, element by element, and the tests' oracle for Norm2, which takes
// the same floats in pieces (a row gradient's rows) and squares whole blocks with kernels::square_into_lanes.
// scale_values_plain, `for k: x[k] *= coef`, is the oracle for scale_values.
#pragma once
#include <cstdint>

#include "../kernels/norm_lanes.h"

namespace microtorch::detail {

// torch.norm(x, 2) of a contiguous float32 x of n floats, as PyTorch 1.13 computes it on CPU:
//   body, the first n - n % 8: x[k] goes into lane k % 8, lane = fma(x[k], x[k], lane) (8 float lanes);
//   the lanes folded left to right: s = lane0 + lane1, then + lane2, ... + lane7;
//   tail, the last n % 8: by fours s = s + x*x (the square rounded: the compiler squares four at once,
//   then adds them in order), the 0-3 after them s = fma(x, x, s); the result sqrtf(s).
// The norm of the per-gradient norms (clip_grad_norm_'s total) is the same loop over those floats.
float norm2_plain(const float* x, int64_t n);

// norm2_plain of n floats fed in pieces at increasing offsets. Elements never fed count as zeros, which
// add nothing exactly (fma(0, 0, s) and s + 0 * 0 are s), so a gradient held as rows feeds only its rows:
// PyTorch's dense (V, C) gradient is zero elsewhere.
class Norm2 {
 public:
  explicit Norm2(int64_t n);
  // x[k] (count) is element at + k; at is at least the end of the previous piece.
  void add(int64_t at, const float* x, int64_t count);
  float result() const;

 private:
  static constexpr int kLanes = kernels::kNormLanes;
  int64_t body_;             // n - n % 8: elements below it go to the lanes
  int64_t tail_n_;           // n % 8
  float lanes_[kLanes] = {};
  float tail_[kLanes] = {};  // the tail's elements (zeros where none was fed)
};

// x[k] *= coef (the same floats as the plain loop: one multiply each, only vectorised).
void scale_values(float* x, int64_t n, float coef);
void scale_values_plain(float* x, int64_t n, float coef);

}  // namespace microtorch::detail
