// Internal: run a generic lambda with the C++ element type of a Dtype, for ops that work on every dtype
// (shape copies, masks, casts): dispatch(t.dtype(), [&](auto tag) { using T = decltype(tag); ... }).
#pragma once
#include <cstdint>
#include <type_traits>

#include "../dtype.h"

namespace microtorch::detail {

template <class F> void dispatch(Dtype d, F&& f) {
  switch (d) {
    case kFloat32: f(float{}); return;
    case kFloat64: f(double{}); return;
    case kFloat16: f(Half{}); return;
    case kBFloat16: f(BFloat16{}); return;
    case kInt64: f(int64_t{}); return;
    case kInt32: f(int32_t{}); return;
    case kBool: f(bool{}); return;
  }
}

// The same for the two dtypes arithmetic runs in natively: float32 and float64 (float16 and bfloat16 are
// computed in float32 by their callers).
template <class F> void dispatch_float(Dtype d, F&& f) {
  if (d == kFloat64) f(double{});
  else f(float{});
}

// The same for every dtype but float16 and bfloat16, which the caller has converted to float32 (ops that
// compare values: their float32 values order as they do).
template <class F> void dispatch_full_width(Dtype d, F&& f) {
  dispatch(d, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, Half> && !std::is_same_v<T, BFloat16>) f(tag);
  });
}

// A dim in [-ndim, ndim) made non-negative; else std::out_of_range naming op, the dim and the valid range.
int64_t wrap_dim(const char* op, int64_t dim, int64_t ndim);

// Throws std::invalid_argument unless the float value converts to dtype without overflow (ops/convert.cpp).
void check_value_fits(const char* op, double value, Dtype dtype);

}  // namespace microtorch::detail
