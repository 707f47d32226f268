// Internal: wrap a Tensor's storage as an xtensor expression (no copy), for elementwise work at the edges.
#pragma once
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>

#include "../tensor.h"

namespace microtorch::detail {

inline std::vector<size_t> xt_shape(const Shape& shape) { return {shape.begin(), shape.end()}; }

inline auto as_xt(const Tensor& t) {
  return xt::adapt(t.data_ptr<float>(), static_cast<size_t>(t.numel()), xt::no_ownership(), xt_shape(t.shape()));
}

// Throws std::invalid_argument unless t is float32; `op` names the caller.
void check_float(const char* op, const Tensor& t);
// Throws std::invalid_argument unless t is of a floating dtype (float32, float64, float16, bfloat16).
void check_floating(const char* op, const Tensor& t);

}  // namespace microtorch::detail
