// to(dtype): casts between float32, int64, int32 and bool, as PyTorch: float -> integer truncates toward zero,
// anything -> bool is "!= 0", bool -> number is 0 or 1. A float that no integer of the target holds (NaN, inf,
// out of range) is refused, naming it: converting it would be undefined behaviour in C++.
#include <cmath>
#include <cstring>
#include <string>

#include "../autograd.h"
#include "../ops.h"
#include "dispatch.h"
#include "tensor_access.h"

namespace microtorch {

// True when float v converts to the integer type of `bytes` bytes: finite and inside its range.
static bool fits_integer(float v, size_t bytes) {
  const float limit = bytes >= 8 ? 9.2233720368547758e18f : bytes == 4 ? 2147483648.0f : 0.0f;
  return std::isfinite(v) && std::trunc(v) >= -limit && std::trunc(v) < limit;
}

static std::string range_str(int64_t lo, uint64_t hi) { return "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]"; }

// v truncated toward zero must lie in [lo, hi]; as doubles, hi + 1 is exact (a power of two) for every integer
// type, where hi itself (2^63 - 1) would round up.
void Tensor::check_item_fits(float v, int64_t lo, uint64_t hi) {
  const double t = std::trunc(static_cast<double>(v));
  if (!(std::isfinite(v) && t >= static_cast<double>(lo) && t < static_cast<double>(hi) + 1.0))
    throw std::invalid_argument("item: the float32 value " + std::to_string(v) +
                                " does not fit the integer type asked for (range " + range_str(lo, hi) + ")");
}

void Tensor::check_item_fits(int64_t v, int64_t lo, uint64_t hi) {
  if (v < lo || (v > 0 && static_cast<uint64_t>(v) > hi))
    throw std::invalid_argument("item: the integer value " + std::to_string(v) +
                                " does not fit the integer type asked for (range " + range_str(lo, hi) + ")");
}

void detail::check_value_fits(const char* op, float value, Dtype dtype) {
  if ((dtype == kInt64 || dtype == kInt32) && !fits_integer(value, element_size(dtype)))
    throw std::invalid_argument(std::string(op) + ": the value " + std::to_string(value) + " does not fit a " +
                                dtype_name(dtype) + " tensor");
}

template <class To, class From> static To cast_one(From x) {
  if constexpr (std::is_same_v<To, bool>) return x != From{};
  else return static_cast<To>(x);
}

// A cast copy (the same tensor when the dtype is already this one). Not recorded: only float32 values carry a
// gradient, and float32 -> float32 returns this very tensor.
Tensor Tensor::to(Dtype target) const {
  if (target == dtype()) return *this;
  if (dtype() == kFloat32 && (target == kInt64 || target == kInt32)) {
    const float* x = data_ptr<float>();
    for (int64_t i = 0; i < numel(); ++i)
      if (!fits_integer(x[i], element_size(target)))
        throw std::invalid_argument("to(" + dtype_name(target) + "): the value " + std::to_string(x[i]) +
                                    " at flat position " + std::to_string(i) + " does not fit " + dtype_name(target));
  }
  Tensor out = empty(shape(), target);
  detail::dispatch(dtype(), [&](auto from_tag) {
    using From = decltype(from_tag);
    detail::dispatch(target, [&](auto to_tag) {
      using To = decltype(to_tag);
      const From* x = static_cast<const From*>(raw_data());
      To* o = static_cast<To*>(detail::raw_data(out));
      for (int64_t i = 0; i < numel(); ++i) o[i] = cast_one<To>(x[i]);
    });
  });
  return out;
}

}  // namespace microtorch
