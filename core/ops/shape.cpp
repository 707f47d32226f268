// view/reshape/unsqueeze/squeeze (share storage), clone, one_hot, and the dim wrapping every shape op uses.
// The copying shape ops are in permute.cpp (permute, transpose) and slice.cpp (narrow ... cat, stack).
#include <algorithm>
#include <cstring>
#include <limits>

#include "../autograd.h"
#include "../grad.h"
#include "../ops.h"
#include "dispatch.h"
#include "tensor_access.h"

namespace microtorch {

int64_t detail::wrap_dim(const char* op, int64_t dim, int64_t ndim) {
  if (dim < -ndim || dim >= ndim)
    throw std::out_of_range(std::string(op) + ": dim " + std::to_string(dim) + " is out of range for a " +
                            std::to_string(ndim) + "-d tensor (expected a dim in [" + std::to_string(-ndim) + ", " +
                            std::to_string(ndim - 1) + "])");
  return dim < 0 ? dim + ndim : dim;
}

// Fills in one -1 so that the shape holds `numel` elements.
static Shape infer_shape(const Shape& from, Shape to) {
  int64_t known = 1, infer_at = -1;
  for (size_t i = 0; i < to.size(); ++i) {
    if (to[i] == -1 && infer_at < 0) infer_at = static_cast<int64_t>(i);
    else if (to[i] < 0) throw std::invalid_argument("view: invalid shape " + shape_str(to) + " (one -1 at most, no other negatives)");
    else if (__builtin_mul_overflow(known, to[i], &known))
      throw std::invalid_argument("view: shape " + shape_str(to) + " is too large: its element count overflows int64");
  }
  const int64_t numel = shape_numel(from);
  if (infer_at >= 0 && known != 0 && numel % known == 0) to[infer_at] = numel / known;
  if ((infer_at >= 0 && to[infer_at] == -1) || shape_numel(to) != numel)
    throw std::invalid_argument("view: shape " + shape_str(to) + " is invalid for a tensor of shape " + shape_str(from) +
                                " (" + std::to_string(numel) + " elements)");
  return to;
}

// y shares a's storage under a new shape. da += dy viewed back.
Tensor Tensor::view(const Shape& shape_in) const {
  Shape to = infer_shape(shape(), shape_in);  // shape() first: an undefined tensor throws before its storage is read
  Tensor y(std::make_shared<TensorImpl>(shared_impl()->storage, std::move(to), dtype()));
  Tensor a = *this;
  record(y, "view", {a}, [a](const Tensor& dy) { accumulate_grad(a, dy.view(a.shape())); }, Saved::Nothing);
  return y;
}

// y shares a's storage with a size-1 dim inserted at dim (in [-ndim-1, ndim]).
Tensor Tensor::unsqueeze(int64_t dim) const {
  const int64_t d = detail::wrap_dim("unsqueeze", dim, this->dim() + 1);
  Shape s = shape();
  s.insert(s.begin() + d, 1);
  return view(s);
}

// y shares a's storage without dim when its size is 1; otherwise y has a's shape (as PyTorch).
Tensor Tensor::squeeze(int64_t dim) const {
  if (this->dim() == 0) {  // a 0-d tensor accepts dim -1 and 0, as PyTorch
    detail::wrap_dim("squeeze", dim, 1);
    return view({});
  }
  const int64_t d = detail::wrap_dim("squeeze", dim, this->dim());
  Shape s = shape();
  if (s[d] == 1) s.erase(s.begin() + d);
  return view(s);
}

Tensor Tensor::squeeze() const {
  Shape s;
  for (int64_t n : shape())
    if (n != 1) s.push_back(n);
  return view(s);
}

// y = a copy of a in new storage. da += dy.
Tensor Tensor::clone() const {
  Tensor y = empty(shape(), dtype());
  std::memcpy(detail::raw_data(y), raw_data(), static_cast<size_t>(numel()) * element_size(dtype()));
  Tensor a = *this;
  record(y, "clone", {a}, [a](const Tensor& dy) { accumulate_grad(a, dy); }, Saved::Nothing);
  return y;
}

// (...) int ids -> (..., num_classes) int64 rows of the identity, as PyTorch. Not differentiable (ids are integers).
// As torch.nn.functional.one_hot: num_classes -1 means max(ids) + 1 (refused for empty ids, which have none).
Tensor one_hot(const Tensor& ids, int64_t num_classes) {
  if (!ids.defined()) throw std::invalid_argument("one_hot: ids is an undefined tensor; expected int64 or int32 ids");
  if (ids.dtype() != kInt64 && ids.dtype() != kInt32)
    throw std::invalid_argument("one_hot: ids must be int64 or int32, got " + dtype_name(ids.dtype()));
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
