// Speeds up the body loop of detail::norm2_plain (core/grad/norm_kernels.cpp): see norm_lanes.h.
#include "norm_lanes.h"

#include <cmath>

namespace microtorch::kernels {

void square_into_lanes(float* lanes, const float* __restrict x, int64_t blocks) {
  float acc[kNormLanes];  // in a local array: one register for the whole loop
  for (int l = 0; l < kNormLanes; ++l) acc[l] = lanes[l];
  for (int64_t b = 0; b < blocks; ++b) {
    const float* block = x + b * kNormLanes;  // seek to block b
    for (int l = 0; l < kNormLanes; ++l) acc[l] = std::fma(block[l], block[l], acc[l]);
  }
  for (int l = 0; l < kNormLanes; ++l) lanes[l] = acc[l];
}

}  // namespace microtorch::kernels
