// clone, one_hot, and the dim wrapping every shape op uses. The views are in view_ops.cpp, cat and stack in
// cat.cpp.
#include <algorithm>
#include <cstring>
#include <limits>

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
  record(y, "clone", {a}, [a](const Tensor& dy) { accumulate_grad(a, dy); }, Saved::Nothing);
  return y;
}

// (...) int ids -> (..., num_classes) int64 rows of the identity, as PyTorch. Not differentiable (ids are integers).
// As torch.nn.functional.one_hot: num_classes -1 means max(ids) + 1 (refused for empty ids, which have none).
Tensor one_hot(const Tensor& ids_in, int64_t num_classes) {
  if (!ids_in.defined()) throw std::invalid_argument("one_hot: ids is an undefined tensor; expected int64 or int32 ids");
  if (ids_in.dtype() != kInt64 && ids_in.dtype() != kInt32)
    throw std::invalid_argument("one_hot: ids must be int64 or int32, got " + dtype_name(ids_in.dtype()));
  const Tensor ids = ids_in.contiguous();
  if (num_classes < -1)
    throw std::invalid_argument("one_hot: num_classes " + std::to_string(num_classes) +
                                " must be -1 (inferred from the ids) or at least 0");
  std::vector<int64_t> flat(static_cast<size_t>(ids.numel()));
  for (size_t i = 0; i < flat.size(); ++i)
    flat[i] = ids.dtype() == kInt64 ? ids.data_ptr<int64_t>()[i] : ids.data_ptr<int32_t>()[i];
  for (size_t i = 0; i < flat.size(); ++i)
    if (flat[i] < 0 || (num_classes >= 0 && flat[i] >= num_classes))
      throw std::out_of_range("one_hot: id " + std::to_string(flat[i]) + " at flat position " + std::to_string(i) +
                              " is outside [0, " + (num_classes >= 0 ? std::to_string(num_classes) : "inf") + ")" +
                              " (num_classes " + std::to_string(num_classes) + ")");
  if (num_classes == -1) {
    if (flat.empty())
      throw std::invalid_argument("one_hot: num_classes -1 cannot be inferred from empty ids of shape " +
                                  shape_str(ids.shape()) + "; pass num_classes");
    const int64_t largest = *std::max_element(flat.begin(), flat.end());
    if (largest == std::numeric_limits<int64_t>::max())
      throw std::invalid_argument("one_hot: num_classes -1 infers max(ids) + 1, which overflows int64 for id " +
                                  std::to_string(largest));
    num_classes = largest + 1;
  }
  Shape shape = ids.shape();
  shape.push_back(num_classes);
  Tensor y = zeros(shape, kInt64);
  int64_t* out = y.data_ptr<int64_t>();
  for (size_t i = 0; i < flat.size(); ++i) out[static_cast<int64_t>(i) * num_classes + flat[i]] = 1;
  return y;
}

}  // namespace microtorch
