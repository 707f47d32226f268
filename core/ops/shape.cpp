// clone, one_hot, and the dim wrapping every shape op uses. The views are in view_ops.cpp, cat and stack in
// cat.cpp.
#include <cstring>

#include "../autograd.h"
#include "../grad.h"
#include "../ops.h"
#include "dispatch.h"
#include "strided.h"
#include "tensor_access.h"

namespace microtorch {

int64_t detail::wrap_dim(const char* op, int64_t dim, int64_t ndim) {
  if (dim < -ndim || dim >= ndim)
    throw std::out_of_range(std::string(op) + ": dim " + std::to_string(dim) + " is out of range for a " +
                            std::to_string(ndim) + "-d tensor (expected a dim in [" + std::to_string(-ndim) + ", " +
                            std::to_string(ndim - 1) + "])");
  return dim < 0 ? dim + ndim : dim;
}

// y = a copy of a in new storage, in a's layout when a is dense (PyTorch's preserve format), else
// row-major. da += dy.
Tensor Tensor::clone() const {
  Tensor y = detail::empty_like_layout(*this, dtype());
  detail::copy_strided(y, *this);
  Tensor a = *this;
  record(y, "clone", {a}, [a](const Tensor& dy) { accumulate_grad(a, dy); });
  return y;
}

// (...) int ids -> (..., num_classes) float32 rows of the identity. Not differentiable (ids are integers).
Tensor one_hot(const Tensor& ids_in, int64_t num_classes) {
  if (ids_in.dtype() != kInt64 && ids_in.dtype() != kInt32)
    throw std::invalid_argument("one_hot: ids must be int64 or int32, got " + dtype_name(ids_in.dtype()));
  const Tensor ids = ids_in.contiguous();
  Shape shape = ids.shape();
  shape.push_back(num_classes);
  Tensor y = zeros(shape);
  float* out = y.data_ptr<float>();
  for (int64_t i = 0; i < ids.numel(); ++i) {
    const int64_t id = ids.dtype() == kInt64 ? ids.data_ptr<int64_t>()[i] : ids.data_ptr<int32_t>()[i];
    if (id < 0 || id >= num_classes)
      throw std::out_of_range("one_hot: id " + std::to_string(id) + " at flat position " + std::to_string(i) +
                              " is outside [0, " + std::to_string(num_classes) + ")");
    out[i * num_classes + id] = 1.0f;
  }
  return y;
}

}  // namespace microtorch
