// permute and transpose: copies into fresh row-major storage (every Tensor is contiguous; see tensor.h).
// The copy walks the output in order and reads the input through permuted strides. Any dtype.
#include <cstring>

#include "../autograd.h"
#include "../grad.h"
#include "../ops.h"
#include "broadcast.h"
#include "dispatch.h"
#include "../tensor_access.h"

namespace microtorch {

// out (shape[dims[0]], ..., shape[dims[n-1]]) <- in (shape), out[i0, ..., in-1] = in at index i_k on dim dims[k].
static Tensor permute_values(const Tensor& a, const std::vector<int64_t>& dims) {
  const Shape& in = a.shape();
  const size_t n = in.size();
  std::vector<int64_t> in_strides(n, 1);
  for (size_t i = n; i-- > 1;) in_strides[i - 1] = in_strides[i] * in[i];
  Shape out_shape(n);
  std::array<std::vector<int64_t>, 1> strides{std::vector<int64_t>(n)};
  for (size_t i = 0; i < n; ++i) {
    out_shape[i] = in[dims[i]];
    strides[0][i] = in_strides[dims[i]];  // one step along output dim i moves this far in the input
  }
  Tensor y = empty(out_shape, a.dtype());
  detail::dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = static_cast<const T*>(detail::raw_data(a));
    T* dst = static_cast<T*>(detail::raw_data(y));
    detail::for_each_broadcast(out_shape, strides, [&](int64_t i, const std::array<int64_t, 1>& off) { dst[i] = src[off[0]]; });
  });
  return y;
}

// y = a with its dims reordered: y dim i is a's dim dims[i]. da += dy permuted back by the inverse.
Tensor permute(const Tensor& a, const Shape& dims_in) {
  const int64_t n = a.dim();
  if (static_cast<int64_t>(dims_in.size()) != n)
    throw std::invalid_argument("permute: " + std::to_string(dims_in.size()) + " dims " + shape_str(dims_in) +
                                " given for a " + std::to_string(n) + "-d tensor of shape " + shape_str(a.shape()));
  std::vector<int64_t> dims(static_cast<size_t>(n)), inverse(static_cast<size_t>(n), -1);
  for (int64_t i = 0; i < n; ++i) {
    dims[i] = detail::wrap_dim("permute", dims_in[i], n);
    if (inverse[dims[i]] >= 0)
      throw std::invalid_argument("permute: dim " + std::to_string(dims_in[i]) + " appears twice in " + shape_str(dims_in));
    inverse[dims[i]] = i;
  }
  Tensor y = permute_values(a, dims);
  record(y, "permute", {a}, [a, inverse](const Tensor& dy) { accumulate_grad(a, permute_values(dy, inverse)); });
  return y;
}

// y = a with dims d0 and d1 swapped (copied). da += dy swapped back.
Tensor transpose(const Tensor& a, int64_t dim0, int64_t dim1) {
  const int64_t n = a.dim();
  if (n == 0) {  // as PyTorch, a 0-d tensor transposes dims 0/-1 to itself
    detail::wrap_dim("transpose", dim0, 1);
    detail::wrap_dim("transpose", dim1, 1);
    return permute(a, {});
  }
  Shape dims(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) dims[i] = i;
  std::swap(dims[detail::wrap_dim("transpose", dim0, n)], dims[detail::wrap_dim("transpose", dim1, n)]);
  return permute(a, dims);
}

Tensor Tensor::permute(const Shape& dims) const { return microtorch::permute(*this, dims); }
Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const { return microtorch::transpose(*this, dim0, dim1); }

}  // namespace microtorch
