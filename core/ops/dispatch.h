// Internal: run a generic lambda with the C++ element type of a Dtype, for ops that work on every dtype
// (shape copies, masks, casts): dispatch(t.dtype(), [&](auto tag) { using T = decltype(tag); ... }).
#pragma once
#include <cstdint>

#include "../dtype.h"

namespace microtorch::detail {

template <class F> void dispatch(Dtype d, F&& f) {
  switch (d) {
    case kFloat32: f(float{}); return;
    case kInt64: f(int64_t{}); return;
    case kInt32: f(int32_t{}); return;
    case kBool: f(bool{}); return;
  }
}

// A dim in [-ndim, ndim) made non-negative; else std::out_of_range naming op, the dim and the valid range.
int64_t wrap_dim(const char* op, int64_t dim, int64_t ndim);

// Throws std::invalid_argument unless the float value converts to dtype without overflow (ops/convert.cpp).
void check_value_fits(const char* op, float value, Dtype dtype);

}  // namespace microtorch::detail
