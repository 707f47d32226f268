// The distributed tests' one helper: two float32 tensors of the same shape holding the very same floats.
#pragma once
#include <microtorch/microtorch.h>

inline bool same_values(const microtorch::Tensor& a, const microtorch::Tensor& b) {
  return a.shape() == b.shape() && a.to_vector<float>() == b.to_vector<float>();
}
