// clip_grad_norm_'s two passes (norm_kernels.h): PyTorch's 2-norm loop as written, the same floats taken in
// pieces, and the scaling; the plain loops are beside the fast ones.
#include "norm_kernels.h"

#include <algorithm>
#include <cmath>

namespace microtorch::detail {

// The fold and the tail both norm2_plain and Norm2 end with: lanes (8), tail (n_tail < 8).
static float fold_lanes_and_tail(const float* lanes, const float* tail, int64_t n_tail) {
  float s = lanes[0];
  for (int l = 1; l < kernels::kNormLanes; ++l) s = s + lanes[l];
  const int64_t fours = n_tail / 4 * 4;
  for (int64_t k = 0; k < fours; ++k) {
    const float square = tail[k] * tail[k];  // rounded on its own (built with -ffp-contract=off)
    s = s + square;
  }
  for (int64_t k = fours; k < n_tail; ++k) s = std::fma(tail[k], tail[k], s);
  return std::sqrt(s);
}

float norm2_plain(const float* x, int64_t n) {
  constexpr int L = kernels::kNormLanes;
  float lanes[L] = {};
  const int64_t body = n - n % L;
  for (int64_t k = 0; k < body; ++k) lanes[k % L] = std::fma(x[k], x[k], lanes[k % L]);
  return fold_lanes_and_tail(lanes, x + body, n - body);
}

Norm2::Norm2(int64_t n) : body_(n - n % kLanes), tail_n_(n % kLanes) {}

void Norm2::add(int64_t at, const float* x, int64_t count) {
  int64_t k = 0;
  for (; k < count && at + k < body_ && (at + k) % kLanes != 0; ++k)  // up to the next block of 8
    lanes_[(at + k) % kLanes] = std::fma(x[k], x[k], lanes_[(at + k) % kLanes]);
  if (at + k < body_) {
    const int64_t blocks = std::min(count - k, body_ - (at + k)) / kLanes;
    kernels::square_into_lanes(lanes_, x + k, blocks);
    k += blocks * kLanes;
  }
  for (; k < count && at + k < body_; ++k) lanes_[(at + k) % kLanes] = std::fma(x[k], x[k], lanes_[(at + k) % kLanes]);
  for (; k < count; ++k) tail_[at + k - body_] = x[k];
}

float Norm2::result() const { return fold_lanes_and_tail(lanes_, tail_, tail_n_); }

void scale_values_plain(float* x, int64_t n, float coef) {
  for (int64_t k = 0; k < n; ++k) x[k] *= coef;
}

void scale_values(float* __restrict x, int64_t n, float coef) {
  for (int64_t k = 0; k < n; ++k) x[k] *= coef;  // n in a local, x restrict: vectorised
}

}  // namespace microtorch::detail
