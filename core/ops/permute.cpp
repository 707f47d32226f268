// permute and transpose: copies into fresh row-major storage (every Tensor is contiguous; see tensor.h).
// The copy walks the output in order and reads the input through permuted strides. Any dtype.
#include <cstring>

#include "../autograd.h"
#include "../grad.h"
#include "../ops.h"
#include "broadcast.h"
#include "dispatch.h"
#include "permute_values.h"
#include "tensor_access.h"

namespace microtorch {

namespace detail {

Tensor permute_values_plain(const Tensor& a, const std::vector<int64_t>& dims) {
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
  dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = static_cast<const T*>(raw_data(a));
    T* dst = static_cast<T*>(raw_data(y));
    for_each_broadcast(out_shape, strides, [&](int64_t i, const std::array<int64_t, 1>& off) { dst[i] = src[off[0]]; });
  });
  return y;
}

Tensor permute_values(const Tensor& a, const std::vector<int64_t>& dims) {
  const Shape& in = a.shape();
  const size_t n = in.size();
  if (n < 2 || dims[n - 1] != static_cast<int64_t>(n - 1) || a.numel() == 0) return permute_values_plain(a, dims);
  // The last dim stays: the output is runs of in[n-1] contiguous elements, each one memcpy. An odometer over
  // the output's other dims tracks where the run starts in the input.
  std::vector<int64_t> in_strides(n, 1);
  for (size_t i = n; i-- > 1;) in_strides[i - 1] = in_strides[i] * in[i];
  Shape out_shape(n);
  std::vector<int64_t> stride(n);  // input elements per step along output dim i
  for (size_t i = 0; i < n; ++i) {
    out_shape[i] = in[dims[i]];
    stride[i] = in_strides[dims[i]];
  }
  Tensor y = empty(out_shape, a.dtype());
  const size_t es = element_size(a.dtype());
  const int64_t run = in[n - 1], runs = a.numel() / run;
  const char* src = static_cast<const char*>(raw_data(a));
  char* dst = static_cast<char*>(raw_data(y));
  std::vector<int64_t> counter(n - 1, 0);
  int64_t off = 0;  // the current run's start in the input, in elements
  const size_t run_bytes = static_cast<size_t>(run) * es;
  for (int64_t r = 0; r < runs; ++r) {
    char* d = dst + static_cast<size_t>(r) * run_bytes;
    const char* s = src + static_cast<size_t>(off) * es;
    if (run_bytes % 64 == 0 && run_bytes <= 1024) {  // short runs (a head's D floats): 64-byte pieces, inlined
      for (size_t b = 0; b < run_bytes; b += 64) std::memcpy(d + b, s + b, 64);
    } else {
      std::memcpy(d, s, run_bytes);
    }
    for (size_t d = n - 1; d-- > 0;) {  // advance the odometer over output dims n-2 .. 0
      off += stride[d];
      if (++counter[d] < out_shape[d]) break;
      off -= stride[d] * out_shape[d];
      counter[d] = 0;
    }
  }
  return y;
}

}  // namespace detail

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
  Tensor y = detail::permute_values(a, dims);
  record(y, "permute", {a}, [a, inverse](const Tensor& dy) {
    accumulate_grad(a, detail::permute_values(dy, inverse));
  }, Saved::Nothing);
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
