// Speeds up the body loop of detail::norm2_plain (core/grad/norm_kernels.cpp), which squares one element at
// a time into lane k % 8: `lanes[k % 8] = fma(x[k], x[k], lanes[k % 8])`. Here the same eight chains are
// written as blocks of eight, which the compiler keeps in one vector register: the same floats, in order.
#pragma once
#include <cstdint>

namespace microtorch::kernels {

constexpr int kNormLanes = 8;  // PyTorch 1.13's AVX2 Vectorized<float>: the lanes torch.norm(x, 2) sums in

// lanes (8) [l] = fma(x[8b + l], x[8b + l], lanes[l]) for b = 0 .. blocks - 1, then l = 0 .. 7.
void square_into_lanes(float* lanes, const float* x, int64_t blocks);

}  // namespace microtorch::kernels
