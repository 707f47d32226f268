// Drawing a token from a model's output: softmax of one row of logits, then one categorical draw.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace tutorials {

// logits (V) -> an id drawn with probability softmax(logits)[id]. Subtracting the max keeps exp finite.
inline int64_t sample_from_logits(const float* logits, int64_t V, std::mt19937& rng) {
  const float top = *std::max_element(logits, logits + V);
  std::vector<double> p(static_cast<size_t>(V));
  for (int64_t v = 0; v < V; ++v) p[static_cast<size_t>(v)] = std::exp(static_cast<double>(logits[v] - top));
  std::discrete_distribution<int64_t> pick(p.begin(), p.end());
  return pick(rng);
}

}  // namespace tutorials
