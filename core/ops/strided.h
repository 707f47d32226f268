// Internal: the arithmetic of strided geometry (tensor.h says what sizes, strides and an offset are), and the
// walk over N strided operands that elementwise kernels and copies are built on. PyTorch's TensorIterator is
// the model: size-1 dims dropped, dims ordered by the first operand's strides, neighbours merged wherever
// every operand stays contiguous across them, then one call per inner run with each operand's offset and step.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <numeric>
#include <vector>

#include "../tensor.h"

namespace microtorch::detail {

// Where a tensor's elements sit in a storage (tensor.h): element (i0, ...) at offset + sum of ik * strides[k].
struct Geometry {
  Shape sizes, strides;
  int64_t offset = 0;
};

// Row-major strides of sizes: the last dim 1, each earlier one the product of the sizes after it.
Shape contiguous_strides(const Shape& sizes);
// True when strides are row-major for sizes (a size-1 dim's stride does not matter; an empty tensor is).
bool is_contiguous_geometry(const Shape& sizes, const Shape& strides);
// True when the elements fill numel consecutive storage elements, each once, in some order of the dims
// (a permuted contiguous tensor): empty_like can then keep the layout.
bool is_non_overlapping_and_dense(const Shape& sizes, const Shape& strides);
inline bool is_dense(const Tensor& t) { return t.is_contiguous() || is_non_overlapping_and_dense(t.shape(), t.strides()); }
// Dense strides for sizes, its dims laid out in the order of like's strides (the largest outermost): the
// layout of an output that keeps its input's (PyTorch's preserve format). Contiguous when like is.
Shape strides_like(const Shape& sizes, const Shape& like);
// An uninitialised tensor of t's shape and the given dtype, keeping t's layout when t is dense (a transposed
// input gives a transposed output, so an elementwise walk over both is one contiguous run), else contiguous.
Tensor empty_like_layout(const Tensor& t, Dtype dtype);
// A tensor over t's storage with another geometry (the one constructor of views; records nothing).
Tensor as_strided(const Tensor& t, const Shape& sizes, const Shape& strides, int64_t offset);

// Strides of t read as out (t's dims aligned on the right, as broadcasting does): t's own strides, 0 along a
// dim t lacks or has size 1 where out does not.
std::vector<int64_t> broadcast_strides(const Tensor& t, const Shape& out);

// The merged loops of a walk over one shape in N operands (see for_each_run).
template <size_t N> struct RunPlan {
  Shape sizes;                     // outermost first; the last dim is the inner run
  std::array<Shape, N> strides;    // per operand, per merged dim
  int64_t runs() const {           // inner runs in the walk
    int64_t r = 1;
    for (size_t d = 0; d + 1 < sizes.size(); ++d) r *= sizes[d];
    return r;
  }
};

template <size_t N> RunPlan<N> plan_runs(const Shape& sizes, const std::array<std::vector<int64_t>, N>& strides) {
  std::vector<size_t> dims;  // the dims that loop, in operand 0's order: largest stride outermost
  for (size_t d = 0; d < sizes.size(); ++d)
    if (sizes[d] != 1) dims.push_back(d);
  std::stable_sort(dims.begin(), dims.end(), [&](size_t x, size_t y) { return strides[0][x] > strides[0][y]; });
  RunPlan<N> plan;
  for (size_t d : dims) {
    bool merge = !plan.sizes.empty();  // the previous (outer) dim steps exactly over this one in every operand
    for (size_t k = 0; merge && k < N; ++k) merge = plan.strides[k].back() == strides[k][d] * sizes[d];
    if (merge) {
      plan.sizes.back() *= sizes[d];
      for (size_t k = 0; k < N; ++k) plan.strides[k].back() = strides[k][d];
      continue;
    }
    plan.sizes.push_back(sizes[d]);
    for (size_t k = 0; k < N; ++k) plan.strides[k].push_back(strides[k][d]);
  }
  if (plan.sizes.empty()) {  // one element (or a 0-d tensor)
    plan.sizes.push_back(1);
    for (size_t k = 0; k < N; ++k) plan.strides[k].push_back(0);
  }
  return plan;
}

// Calls f(offsets, n, steps) for inner runs [lo, hi) of the plan, in order: operand k's run starts at element
// offsets[k] (from its first element) and steps steps[k] elements n times. The outer dims advance like an
// odometer, their start found once by division.
template <size_t N, class F> void for_each_run(const RunPlan<N>& plan, int64_t lo, int64_t hi, F&& f) {
  const size_t outer = plan.sizes.size() - 1;
  const int64_t n = plan.sizes[outer];
  std::array<int64_t, N> steps{}, off{};
  for (size_t k = 0; k < N; ++k) steps[k] = plan.strides[k][outer];
  std::vector<int64_t> idx(outer, 0);
  for (size_t d = outer, rest = static_cast<size_t>(lo); d-- > 0;) {
    idx[d] = static_cast<int64_t>(rest % static_cast<size_t>(plan.sizes[d]));
    rest /= static_cast<size_t>(plan.sizes[d]);
    for (size_t k = 0; k < N; ++k) off[k] += idx[d] * plan.strides[k][d];
  }
  for (int64_t r = lo; r < hi; ++r) {
    f(off, n, steps);
    for (size_t d = outer; d-- > 0;) {  // next run: bump the innermost outer dim, carry outwards
      for (size_t k = 0; k < N; ++k) off[k] += plan.strides[k][d];
      if (++idx[d] < plan.sizes[d]) break;
      for (size_t k = 0; k < N; ++k) off[k] -= plan.strides[k][d] * plan.sizes[d];
      idx[d] = 0;
    }
  }
}

// The whole walk over sizes, one thread: f(offsets, n, steps) per inner run.
template <size_t N, class F>
void for_each_run(const Shape& sizes, const std::array<std::vector<int64_t>, N>& strides, F&& f) {
  if (shape_numel(sizes) == 0) return;
  const RunPlan<N> plan = plan_runs(sizes, strides);
  for_each_run(plan, 0, plan.runs(), f);
}

// dst <- src elementwise, any geometry, src broadcast to dst's shape and cast to dst's dtype (as PyTorch
// casts: bool is != 0, float16 and bfloat16 round to nearest even, float to integer truncates): the copy
// behind contiguous(), clone, to(), copy_ and every write through a view. Runs with step 1 on both sides
// and one dtype are one memcpy. dst must not overlap src unless they are the same elements.
void copy_strided(const Tensor& dst, const Tensor& src);
// dst <- value at every element, cast as copy_strided casts (fill_'s unrecorded path, with no tensor made
// for the value).
void fill_strided(const Tensor& dst, const Scalar& value);
// The plain path, one element at a time in row-major order: the tests' oracle.
void copy_strided_plain(const Tensor& dst, const Tensor& src);
// dst += src elementwise (float32 or float64, one dtype), any geometry of one shape: a gradient added at a
// view's place.
void add_strided(const Tensor& dst, const Tensor& src);

}  // namespace microtorch::detail
