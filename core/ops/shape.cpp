// view/reshape (share storage), clone, transpose (copies), one_hot.
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xnoalias.hpp>

#include <cstring>

#include "../autograd.h"
#include "../grad.h"
#include "../ops.h"
#include "xt.h"

namespace microtorch {

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
  record(y, "view", {a}, [a](const Tensor& dy) { accumulate_grad(a, dy.view(a.shape())); });
  return y;
}

// y = a copy of a in new storage. da += dy.
Tensor Tensor::clone() const {
  Tensor y = empty(shape(), dtype());
  std::memcpy(y.raw_data(), raw_data(), static_cast<size_t>(numel()) * element_size(dtype()));
  Tensor a = *this;
  record(y, "clone", {a}, [a](const Tensor& dy) { accumulate_grad(a, dy); });
  return y;
}

// y = a with dims d0 and d1 swapped, copied into row-major order. da += transpose(dy) back.
Tensor transpose(const Tensor& a, int64_t dim0, int64_t dim1) {
  detail::check_float("transpose", a);
  const int64_t n = a.dim();
  if (dim0 < -n || dim0 >= n || dim1 < -n || dim1 >= n)
    throw std::invalid_argument("transpose: dims (" + std::to_string(dim0) + ", " + std::to_string(dim1) +
                                ") are out of range for shape " + shape_str(a.shape()));
  const size_t d0 = static_cast<size_t>(dim0 < 0 ? dim0 + n : dim0), d1 = static_cast<size_t>(dim1 < 0 ? dim1 + n : dim1);
  std::vector<size_t> perm(static_cast<size_t>(n));
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = i;
  std::swap(perm[d0], perm[d1]);
  Shape out_shape = a.shape();
  std::swap(out_shape[d0], out_shape[d1]);
  Tensor y = empty(out_shape);
  auto xy = detail::as_xt(y);
  xt::noalias(xy) = xt::transpose(detail::as_xt(a), perm);
  record(y, "transpose", {a}, [a, d0, d1](const Tensor& dy) {
    accumulate_grad(a, transpose(dy, static_cast<int64_t>(d0), static_cast<int64_t>(d1)));
  });
  return y;
}
Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const { return microtorch::transpose(*this, dim0, dim1); }

// (...) int ids -> (..., num_classes) float32 rows of the identity. Not differentiable (ids are integers).
Tensor one_hot(const Tensor& ids, int64_t num_classes) {
  if (ids.dtype() == kFloat32)
    throw std::invalid_argument("one_hot: ids must be int64 or int32, got float32");
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
