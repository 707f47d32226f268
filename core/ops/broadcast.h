// Internal: NumPy broadcasting for the ops of compare.cpp and matmul.cpp, as plain index arithmetic.
// Each operand gets its strides aligned to the output's shape (strided.h's broadcast_strides: its own
// strides, 0 along a dim it broadcasts), and a raw loop walks the output in row-major order carrying every
// operand's element offset (no per-element shape math).
#pragma once
#include <array>
#include <stdexcept>
#include <string>
#include <vector>

#include "../tensor.h"
#include "strided.h"

namespace microtorch::detail {

// The broadcast of shapes: aligned on the right, each pair of dims equal or one of them 1.
inline Shape broadcast_shapes(const char* op, const std::vector<Shape>& shapes) {
  size_t n = 0;
  for (const Shape& s : shapes) n = std::max(n, s.size());
  Shape out(n, 1);
  for (const Shape& s : shapes)
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t& o = out[n - s.size() + i];
      if (s[i] == o || s[i] == 1) continue;
      if (o != 1) {
        std::string all;
        for (const Shape& t : shapes) all += (all.empty() ? "" : " and ") + shape_str(t);
        throw std::invalid_argument(std::string(op) + ": shapes " + all + " cannot be broadcast together");
      }
      o = s[i];
    }
  return out;
}

// The same for two shapes (every binary op), without copying them into a list when one already is the
// result: equal shapes, or a zero-dim operand.
inline Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
  if (a == b || b.empty()) return a;
  if (a.empty()) return b;
  return broadcast_shapes(op, std::vector<Shape>{a, b});
}

// Calls f(i, offsets) for every flat output index i in order, offsets[k] being operand k's flat index.
// The last dim runs as an inner loop; the outer dims advance like an odometer.
template <size_t N, class F>
void for_each_broadcast(const Shape& out, const std::array<std::vector<int64_t>, N>& strides, F&& f) {
  const int64_t total = shape_numel(out);
  if (total == 0) return;
  const size_t nd = out.size();
  const int64_t inner = nd == 0 ? 1 : out[nd - 1];
  std::array<int64_t, N> inner_stride{}, base{};
  for (size_t k = 0; k < N; ++k) inner_stride[k] = nd == 0 ? 0 : strides[k][nd - 1];
  std::vector<int64_t> counter(nd, 0);  // the outer dims' index
  for (int64_t i = 0; i < total; i += inner) {
    std::array<int64_t, N> off = base;
    for (int64_t j = 0; j < inner; ++j) {
      f(i + j, off);
      for (size_t k = 0; k < N; ++k) off[k] += inner_stride[k];
    }
    // advance the odometer over dims nd-2 .. 0
    for (size_t d = nd >= 1 ? nd - 1 : 0; d-- > 0;) {
      for (size_t k = 0; k < N; ++k) base[k] += strides[k][d];
      if (++counter[d] < out[d]) break;
      for (size_t k = 0; k < N; ++k) base[k] -= strides[k][d] * out[d];
      counter[d] = 0;
    }
  }
}

}  // namespace microtorch::detail

namespace microtorch {

// Undoing broadcasting in a backward (not an op: nothing is recorded): g summed over the dims that
// broadcasting added or stretched, down to `shape` (a broadcast input's shape).
Tensor sum_to(const Tensor& g, const Shape& shape);
// sum_to(a * b, shape) for a and b of one shape, without writing a * b (a product's gradient to a broadcast
// input: one pass over dy and the other input instead of three).
Tensor sum_to_product(const Tensor& a, const Tensor& b, const Shape& shape);

}  // namespace microtorch
