// clamp, clamp_min, clamp_max, composed of comparisons and where: no backward of their own. where passes the
// gradient to a exactly where a was kept, that is where min <= a <= max (the boundaries included, NaN not),
// as PyTorch.
#include <stdexcept>
#include <string>

#include "../ops.h"
#include "promotion.h"

namespace microtorch {

// y = min(max(a, min), max): a bound above the other gives max everywhere, as PyTorch. The result has the
// promoted dtype of a and the bounds (an int64 tensor clamped by 0.5 is float32).
Tensor clamp(const Tensor& a, const std::optional<Scalar>& min, const std::optional<Scalar>& max) {
  if (!a.defined()) throw std::invalid_argument("clamp: expected a tensor, got an undefined tensor");
  if (!min && !max) throw std::invalid_argument("clamp: got neither min nor max; expected at least one bound");
  if (a.dtype() == kBool) throw std::invalid_argument("clamp: not defined for a bool tensor, as in PyTorch");
  std::vector<Tensor> operands{a};
  if (min) operands.push_back(detail::scalar_tensor(*min));
  if (max) operands.push_back(detail::scalar_tensor(*max));
  const Dtype dtype = result_type(operands);
  Tensor y = a.to(dtype);
  if (min) {
    const Tensor lo = full({}, *min, dtype);
    y = where(y < lo, lo, y);
  }
  if (max) {
    const Tensor hi = full({}, *max, dtype);
    y = where(y > hi, hi, y);
  }
  // NaN stays NaN with no gradient: PyTorch passes it only where min <= a <= max, which NaN never is
  if (y.is_floating_point()) y = where(y != y, y.detach(), y);
  return y;
}

Tensor clamp_min(const Tensor& a, const Scalar& min) { return clamp(a, min, std::nullopt); }
Tensor clamp_max(const Tensor& a, const Scalar& max) { return clamp(a, std::nullopt, max); }

}  // namespace microtorch
