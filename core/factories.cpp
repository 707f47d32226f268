// Factories: braced lists (as torch::tensor), arange and linspace, the *_like forms, TensorOptions.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd.h"
#include "ops.h"
#include "tensor.h"

namespace microtorch {

Tensor tensor(std::initializer_list<float> values, const Shape& shape) { return tensor(std::vector<float>(values), shape); }
Tensor tensor(std::initializer_list<double> values, const Shape& shape) {
  return tensor(std::vector<float>(values.begin(), values.end()), shape);  // float32, as torch::tensor
}
Tensor tensor(std::initializer_list<int> values, const Shape& shape) {
  return tensor(std::vector<int64_t>(values.begin(), values.end()), shape);  // int64, as torch::tensor
}
Tensor tensor(std::initializer_list<int64_t> values, const Shape& shape) { return tensor(std::vector<int64_t>(values), shape); }
Tensor tensor(std::initializer_list<float> values) { return tensor(values, {static_cast<int64_t>(values.size())}); }
Tensor tensor(std::initializer_list<double> values) { return tensor(values, {static_cast<int64_t>(values.size())}); }
Tensor tensor(std::initializer_list<int> values) { return tensor(values, {static_cast<int64_t>(values.size())}); }
Tensor tensor(std::initializer_list<int64_t> values) { return tensor(values, {static_cast<int64_t>(values.size())}); }

// end - start is formed without overflow: arange(-3, INT64_MAX) holds more elements than any tensor can, and
// says so, where a wrapped difference would have given a silent empty tensor.
static Tensor arange_int64(int64_t start, int64_t end, int64_t step) {
  int64_t span = 0;
  if (__builtin_sub_overflow(end, start, &span))
    throw std::invalid_argument("arange: the range [" + std::to_string(start) + ", " + std::to_string(end) +
                                ") holds more than INT64_MAX elements (expected end - start to fit int64)");
  // ceil(span / step), span and step of one sign (checked by the caller) or span 0
  const int64_t n = span == 0 ? 0 : span / step + (span % step != 0 ? 1 : 0);
  Tensor t = empty({std::max<int64_t>(n, 0)}, kInt64);
  int64_t* p = t.data_ptr<int64_t>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = start + i * step;
  return t;
}

static bool integral(const Scalar& s) { return !s.is_floating_point(); }

// Values start + i * step for i < ceil((end - start) / step), as PyTorch: in int64 arithmetic when the dtype is
// int64 and every bound an integer, else in double, then cast to the dtype.
static Tensor arange_in(const Scalar& start, const Scalar& end, const Scalar& step, Dtype dtype) {
  const double s = start.to_double(), e = end.to_double(), h = step.to_double();
  if (!std::isfinite(s) || !std::isfinite(e))
    throw std::invalid_argument("arange: start " + std::to_string(s) + " and end " + std::to_string(e) +
                                " must be finite");
  if (h == 0 || std::isnan(h)) throw std::invalid_argument("arange: step " + std::to_string(h) + " must be nonzero");
  if ((h > 0 && e < s) || (h < 0 && e > s))
    throw std::invalid_argument("arange: step " + std::to_string(h) + " leads from start " + std::to_string(s) +
                                " away from end " + std::to_string(e) +
                                " (expected end >= start for a positive step, end <= start for a negative one)");
  if (dtype == kInt64 && integral(start) && integral(end) && integral(step))
    return arange_int64(start.to_long(), end.to_long(), step.to_long());
  const double n = std::ceil((e - s) / h);
  if (!(n < 9.2e18))
    throw std::invalid_argument("arange: (end - start) / step = " + std::to_string(n) + " elements is too many");
  Tensor d = empty({static_cast<int64_t>(n)}, kFloat64);
  double* p = d.data_ptr<double>();
  for (int64_t i = 0; i < d.numel(); ++i) p[i] = s + h * static_cast<double>(i);
  return d.to(dtype);
}

// Step 1; an end below start gives an empty tensor (API version 2's promise; PyTorch raises there).
Tensor arange(const Scalar& start, const Scalar& end) {
  if (end.to_double() < start.to_double()) return arange(start, start, 1);
  return arange(start, end, 1);
}
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step) {
  const bool ints = integral(start) && integral(end) && integral(step);
  return arange_in(start, end, step, ints ? kInt64 : kFloat32);
}
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, const TensorOptions& options) {
  Tensor t = arange_in(start, end, step, options.dtype());
  if (options.requires_grad()) t.requires_grad_(true);
  return t;
}

// As PyTorch's CPU kernel: step = (end - start) / (steps - 1) in the dtype (double for integer dtypes); the first
// half counted up from start, the second down from end, so both ends are exact.
Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps, const TensorOptions& options) {
  if (steps < 0) throw std::invalid_argument("linspace: steps " + std::to_string(steps) + " is negative (expected >= 0)");
  Tensor d = empty({steps}, kFloat64);
  double* p = d.data_ptr<double>();
  auto fill = [&](auto zero) {
    using C = decltype(zero);
    const C s = static_cast<C>(start.to_double()), e = static_cast<C>(end.to_double());
    const C step = steps > 1 ? (e - s) / static_cast<C>(steps - 1) : C(0);
    const int64_t halfway = steps / 2;
    // fused multiply-adds, as PyTorch's build computes these (its numbers differ in the last bit otherwise)
    for (int64_t i = 0; i < steps; ++i)
      p[i] = static_cast<double>(i < halfway ? std::fma(step, static_cast<C>(i), s)
                                             : std::fma(-step, static_cast<C>(steps - i - 1), e));
    if (steps == 1) p[0] = static_cast<double>(s);  // one step: start, as PyTorch
  };
  if (options.dtype() == kFloat64 || !is_floating_point(options.dtype())) fill(0.0);
  else fill(0.0f);
  Tensor t = d.to(options.dtype());
  if (options.requires_grad()) t.requires_grad_(true);
  return t;
}

Tensor ones_like(const Tensor& t) {
  Tensor out = empty(t.shape(), t.dtype());
  out.fill_(1);  // a fresh leaf: nothing to record
  return out;
}

Tensor full_like(const Tensor& t, const Scalar& value) { return full(t.shape(), value, t.dtype()); }

Tensor tensor(const std::vector<double>& values, const Shape& shape) {
  if (shape_numel(shape) != static_cast<int64_t>(values.size()))
    throw std::invalid_argument("tensor: " + std::to_string(values.size()) + " values do not fill shape " +
                                shape_str(shape) + " (" + std::to_string(shape_numel(shape)) + " elements)");
  Tensor t = empty(shape, kFloat64);
  std::copy(values.begin(), values.end(), t.data_ptr<double>());
  return t;
}

Tensor full(const Shape& shape, const Scalar& value, Dtype dtype) {
  Tensor t = empty(shape, dtype);
  t.fill_(value);
  return t;
}

// With TensorOptions: the tensor in the dtype, then made a leaf that requires grad when asked.
static Tensor with_options(Tensor t, const TensorOptions& o) {
  if (o.requires_grad()) t.requires_grad_(true);
  return t;
}
Tensor empty(const Shape& shape, const TensorOptions& o) { return with_options(empty(shape, o.dtype()), o); }
Tensor zeros(const Shape& shape, const TensorOptions& o) { return with_options(zeros(shape, o.dtype()), o); }
Tensor ones(const Shape& shape, const TensorOptions& o) { return with_options(full(shape, 1, o.dtype()), o); }
Tensor full(const Shape& shape, const Scalar& value, const TensorOptions& o) {
  return with_options(full(shape, value, o.dtype()), o);
}

}  // namespace microtorch
