// to(dtype): casts between every dtype, as PyTorch: float -> integer truncates toward zero, anything -> bool is
// "!= 0", bool -> number is 0 or 1, float32 -> float16/bfloat16 rounds to nearest even. A float that no
// integer of the target holds (NaN, inf, out of range) is refused, naming it: converting it would be
// undefined behaviour in C++. The element loop is strided.h's copy_strided.
#include <cmath>
#include <cstring>
#include <string>

#include "../autograd.h"
#include "../ops.h"
#include "../grad.h"
#include "dispatch.h"
#include "strided.h"
#include "tensor_access.h"

namespace microtorch {

// True when v converts to the integer type of `bytes` bytes: finite and inside its range.
static bool fits_integer(double v, size_t bytes) {
  const double limit = bytes >= 8 ? 9.2233720368547758e18 : bytes == 4 ? 2147483648.0 : 0.0;
  return std::isfinite(v) && std::trunc(v) >= -limit && std::trunc(v) < limit;
}

static std::string range_str(int64_t lo, uint64_t hi) {
  return "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
}

// v truncated toward zero must lie in [lo, hi]; as doubles, hi + 1 is exact (a power of two) for every integer
// type, where hi itself (2^63 - 1) would round up.
void Tensor::check_item_fits(double v, int64_t lo, uint64_t hi) {
  const double t = std::trunc(v);
  if (!(std::isfinite(v) && t >= static_cast<double>(lo) && t < static_cast<double>(hi) + 1.0))
    throw std::invalid_argument("item: the floating-point value " + std::to_string(v) +
                                " does not fit the integer type asked for (range " + range_str(lo, hi) + ")");
}

void Tensor::check_item_fits(int64_t v, int64_t lo, uint64_t hi) {
  if (v < lo || (v > 0 && static_cast<uint64_t>(v) > hi))
    throw std::invalid_argument("item: the integer value " + std::to_string(v) +
                                " does not fit the integer type asked for (range " + range_str(lo, hi) + ")");
}

void detail::check_value_fits(const char* op, double value, Dtype dtype) {
  if ((dtype == kInt64 || dtype == kInt32) && !fits_integer(value, element_size(dtype)))
    throw std::invalid_argument(std::string(op) + ": the value " + std::to_string(value) + " does not fit a " +
                                dtype_name(dtype) + " tensor");
}

// A cast copy in this tensor's layout (the same tensor when the dtype is already this one). A cast between
// floating dtypes is recorded: da += dy cast back to a's dtype. Casts to or from integers and bool carry no
// gradient. A float that the target integer type cannot hold is refused, naming it.
Tensor Tensor::to(Dtype target) const {
  if (target == dtype()) return *this;
  if (is_floating_point() && is_integral(target)) {
    const Tensor x = contiguous().to(kFloat64);  // exact for every float dtype
    const double* p = x.data_ptr<double>();
    for (int64_t i = 0; i < numel(); ++i)
      if (!fits_integer(p[i], microtorch::element_size(target)))
        throw std::invalid_argument("to(" + dtype_name(target) + "): the value " + std::to_string(p[i]) +
                                    " at flat position " + std::to_string(i) + " does not fit " + dtype_name(target));
  }
  Tensor y = detail::empty_like_layout(*this, target);
  detail::copy_strided(y, *this);
  if (is_floating_point() && microtorch::is_floating_point(target)) {
    const Tensor a = *this;
    record(y, "to", {a}, [a](const Tensor& dy) { accumulate_grad(a, dy.to(a.dtype())); });
  }
  return y;
}

Tensor Tensor::half() const { return to(kFloat16); }
Tensor Tensor::bfloat16() const { return to(kBFloat16); }
Tensor Tensor::to(const Tensor& other) const { return to(other.dtype()); }

}  // namespace microtorch
