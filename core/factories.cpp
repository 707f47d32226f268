// Factories of API version 2: braced lists (as torch::tensor), arange(start, end), ones_like.
#include <algorithm>
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
Tensor arange(int64_t start, int64_t end) {
  int64_t n = 0;
  if (__builtin_sub_overflow(end, start, &n))
    throw std::invalid_argument("arange: the range [" + std::to_string(start) + ", " + std::to_string(end) +
                                ") holds more than INT64_MAX elements (expected end - start to fit int64)");
  n = std::max<int64_t>(n, 0);
  Tensor t = empty({n}, kInt64);
  int64_t* p = t.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) p[i] = start + i;
  return t;
}

Tensor ones_like(const Tensor& t) {
  Tensor out = empty(t.shape(), t.dtype());
  out.fill_(1);  // a fresh leaf: nothing to record
  return out;
}

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
