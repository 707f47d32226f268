// Ops that pick or place elements by index along one dim: index_select, gather, scatter, scatter_add,
// index_add_, and masked_select (composed: advanced indexing by the mask). Each works through a list of
// element offsets into the target, one per element of the index, checked against the dim's size before
// anything is read or written; values are copied in the index's row-major order (repeats in a scatter_add or
// an index_add_ are summed in that order, on one thread). Any dtype; float ones are differentiable:
//   gather:      dx += scatter_add of dy at the gathered places
//   scatter:     dx += dy with the written places zeroed, dsrc += gather(dy) at those places
//   scatter_add: dx += dy, dsrc += gather(dy)
//   index_add_:  dx += dy, dsrc += dy.index_select(dim, index)
#include <string>
#include <vector>

#include "../autograd.h"
#include "../grad.h"
#include "../indexing.h"
#include "../ops.h"
#include "broadcast.h"
#include "dispatch.h"
#include "inplace.h"
#include "strided.h"
#include "tensor_access.h"

namespace microtorch {

namespace {

void check_index(const char* op, const Tensor& index) {
  if (index.dtype() != kInt64 && index.dtype() != kInt32)
    throw std::invalid_argument(std::string(op) + ": the index must be int64 or int32, got " + dtype_name(index.dtype()));
}

// The element offset (from t's first element) of t at every row-major position of `shape`, t read with the
// same multi-index (t at least as large as shape in every dim), dim `skip` left at index 0.
std::vector<int64_t> offsets_over(const Tensor& t, const Shape& shape, int64_t skip = -1) {
  std::vector<int64_t> out(static_cast<size_t>(shape_numel(shape)));
  Shape idx(shape.size(), 0), step(shape.size(), 0);
  for (size_t d = 0; d < shape.size(); ++d) step[d] = static_cast<int64_t>(d) == skip ? 0 : t.strides()[d];
  int64_t off = 0;
  for (size_t k = 0; k < out.size(); ++k) {
    out[k] = off;
    for (size_t d = shape.size(); d-- > 0;) {  // next row-major position
      off += step[d];
      if (++idx[d] < shape[d]) break;
      off -= step[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

// The offsets into t of the elements index picks along dim: position i of index reads t at i with dim
// replaced by index[i]. Checks the shapes (index as many dims as t, no dim but dim larger than t's) and
// every index against [0, size), naming the first one outside.
std::vector<int64_t> picked_offsets(const char* op, const Tensor& t, int64_t dim, const Tensor& index_in) {
  check_index(op, index_in);
  if (index_in.dim() != t.dim())
    throw std::invalid_argument(std::string(op) + ": the index must have as many dims as the tensor (" +
                                std::to_string(t.dim()) + "), got shape " + shape_str(index_in.shape()));
  for (int64_t d = 0; d < index_in.dim(); ++d)
    if (d != dim && index_in.shape()[d] > t.shape()[d])
      throw std::invalid_argument(std::string(op) + ": the index of shape " + shape_str(index_in.shape()) +
                                  " is larger than the tensor of shape " + shape_str(t.shape()) + " in dim " +
                                  std::to_string(d));
  const Tensor index = index_in.to(kInt64).contiguous();
  const int64_t* ix = index.data_ptr<int64_t>();
  const int64_t size = t.dim() == 0 ? 1 : t.shape()[dim], stride = t.dim() == 0 ? 0 : t.strides()[dim];
  std::vector<int64_t> offsets = offsets_over(t, index.shape(), dim);  // t at index's positions, dim's index 0
  for (size_t k = 0; k < offsets.size(); ++k) {
    if (ix[k] < 0 || ix[k] >= size)
      throw std::out_of_range(std::string(op) + ": index " + std::to_string(ix[k]) + " at flat position " +
                              std::to_string(k) + " is out of range for dim " + std::to_string(dim) + " of size " +
                              std::to_string(size) + " (expected [0, " + std::to_string(size - 1) + "])");
    offsets[k] += ix[k] * stride;
  }
  return offsets;
}

// a += b for any element type (float16 and bfloat16 through float32, bool as "or").
template <class T> void add_to(T& a, T b) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) a = T(static_cast<float>(a) + static_cast<float>(b));
  else if constexpr (std::is_same_v<T, bool>) a = a || b;
  else a += b;
}

// out (index's shape, row-major) <- x at the offsets.
Tensor take(const Tensor& x, const Shape& shape, const std::vector<int64_t>& offsets) {
  Tensor out = empty(shape, x.dtype());
  detail::dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = static_cast<const T*>(detail::raw_data(x));
    T* o = out.data_ptr<T>();
    for (size_t k = 0; k < offsets.size(); ++k) o[k] = src[offsets[k]];
  });
  return out;
}

// y at the offsets <- src (read at src_offsets), written or added.
void put(const Tensor& y, const std::vector<int64_t>& offsets, const Tensor& src, const std::vector<int64_t>& src_offsets,
         bool add) {
  detail::dispatch(y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* o = static_cast<T*>(detail::raw_data(y));
    const T* s = static_cast<const T*>(detail::raw_data(src));
    for (size_t k = 0; k < offsets.size(); ++k) {
      if (add) add_to(o[offsets[k]], s[src_offsets[k]]);
      else o[offsets[k]] = s[src_offsets[k]];
    }
  });
}

int64_t dim_of(const char* op, const Tensor& t, int64_t dim) { return detail::wrap_dim(op, dim, std::max<int64_t>(t.dim(), 1)); }

// src checked for a scatter into x by index: x's dtype, at least as large as index in every dim (PyTorch's rule).
void check_src(const char* op, const Tensor& x, const Tensor& index, const Tensor& src) {
  if (src.dtype() != x.dtype())
    throw std::invalid_argument(std::string(op) + ": src has dtype " + dtype_name(src.dtype()) + ", expected the tensor's " +
                                dtype_name(x.dtype()));
  bool fits = std::max<int64_t>(src.dim(), 1) == std::max<int64_t>(index.dim(), 1);
  for (int64_t d = 0; fits && d < index.dim(); ++d) fits = src.shape()[d] >= index.shape()[d];
  if (!fits)
    throw std::invalid_argument(std::string(op) + ": src of shape " + shape_str(src.shape()) +
                                " must be at least as large as the index of shape " + shape_str(index.shape()) +
                                " in every dim");
}

// y = a copy of x with src placed (or added) along dim at index: scatter's and scatter_add's values.
Tensor scatter_values(const char* op, const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src, bool add) {
  Tensor y = empty(x.shape(), x.dtype());
  detail::copy_strided(y, x);
  put(y, picked_offsets(op, y, dim, index), src, offsets_over(src, index.shape()), add);
  return y;
}

// zeros of `shape` holding g (index's shape) in its leading corner: the gradient of a src larger than its index.
Tensor corner(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  Tensor out = zeros(shape, g.dtype()), part = out;
  for (int64_t d = 0; d < g.dim(); ++d) part = part.narrow(d, 0, g.shape()[d]);
  detail::copy_strided(part, g);
  return out;
}

}  // namespace

// y (index's shape) = x at index along dim. dx += dy added back at those places.
Tensor gather(const Tensor& x, int64_t dim_in, const Tensor& index) {
  const int64_t dim = dim_of("gather", x, dim_in);
  Tensor y = take(x, index.shape(), picked_offsets("gather", x, dim, index));
  record(y, "gather", {x}, [x, dim, index](const Tensor& dy) {
    accumulate_grad(x, scatter_values("gather", zeros(x.shape(), dy.dtype()), dim, index, dy, true));
  });
  return y;
}

namespace {

// scatter (add false) or scatter_add (add true): y = x with src placed or added along dim at index.
// dx += dy, with the written places zeroed for a scatter; dsrc += dy gathered at the places.
Tensor scatter_op(const char* op, const Tensor& x, int64_t dim_in, const Tensor& index, const Tensor& src, bool add) {
  const int64_t dim = dim_of(op, x, dim_in);
  check_src(op, x, index, src);
  Tensor y = scatter_values(op, x, dim, index, src, add);
  record(y, op, {x, src}, [op, x, src, dim, index, add](const Tensor& dy) {
    if (x.requires_grad())
      accumulate_grad(x, add ? dy : scatter_values(op, dy, dim, index, zeros(index.shape(), dy.dtype()), false));
    if (src.requires_grad()) accumulate_grad(src, corner(gather(dy, dim, index), src.shape()));
  });
  return y;
}

}  // namespace

// y = x with src's elements written along dim at index (for a repeated place, the last write wins).
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_op("scatter", x, dim, index, src, false);
}

// y = x with src's elements added along dim at index (repeats summed in the index's order).
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_op("scatter_add", x, dim, index, src, true);
}

// y = x's slices at index along dim (index 1-D or 0-d, int64 or int32; negatives refused, as PyTorch).
Tensor index_select(const Tensor& x, int64_t dim_in, const Tensor& index) {
  const int64_t dim = dim_of("index_select", x, dim_in);
  check_index("index_select", index);
  if (index.dim() > 1)
    throw std::invalid_argument("index_select: the index must be 1-D or 0-d, got shape " + shape_str(index.shape()));
  if (x.dim() == 0) return x.reshape({1}).index_select(0, index);
  const Tensor ids = index.reshape({-1}).to(kInt64).contiguous();
  const int64_t size = x.shape()[dim];
  for (int64_t k = 0; k < ids.numel(); ++k) {
    const int64_t i = ids.data_ptr<int64_t>()[k];
    if (i < 0 || i >= size)  // negatives do not wrap here, as PyTorch's index_select
      throw std::out_of_range("index_select: index " + std::to_string(i) + " at position " + std::to_string(k) +
                              " is out of range for dim " + std::to_string(dim) + " of size " + std::to_string(size) +
                              " (expected [0, " + std::to_string(size - 1) + "])");
  }
  std::vector<indexing::TensorIndex> where(static_cast<size_t>(dim), indexing::Slice());
  where.emplace_back(ids);
  return x.index(where);
}

// y = x with src's slices (along dim) added at index's positions (repeats summed in order).
// dx += dy; dsrc += dy.index_select(dim, index).
Tensor index_add(const Tensor& x, int64_t dim_in, const Tensor& index, const Tensor& src) {
  const int64_t dim = dim_of("index_add", x, dim_in);
  check_index("index_add", index);
  if (index.dim() > 1 || src.dtype() != x.dtype())
    throw std::invalid_argument("index_add: expected a 1-D index and src of the tensor's dtype " + dtype_name(x.dtype()) +
                                ", got an index of shape " + shape_str(index.shape()) + " and src " +
                                dtype_name(src.dtype()));
  Shape want = x.shape();
  if (!want.empty()) want[dim] = index.numel();
  if (src.shape() != want)
    throw std::invalid_argument("index_add: src of shape " + shape_str(src.shape()) + " does not fit " +
                                std::to_string(index.numel()) + " indices along dim " + std::to_string(dim) +
                                " of shape " + shape_str(x.shape()) + " (expected " + shape_str(want) + ")");
  // the index spread over src's shape: position i of src lands at index[i_dim] along dim
  Shape view(static_cast<size_t>(std::max<int64_t>(x.dim(), 1)), 1);
  view[dim] = index.numel();
  const Tensor spread = index.to(kInt64).reshape(view).expand(src.shape());
  Tensor y = scatter_values("index_add", x, dim, spread, src, true);
  record(y, "index_add", {x, src}, [x, src, dim, index](const Tensor& dy) {
    if (x.requires_grad()) accumulate_grad(x, dy);
    if (src.requires_grad()) accumulate_grad(src, dy.index_select(dim, index));
  });
  return y;
}

// The elements of x where mask (both broadcast) is true, 1-D in row-major order: advanced indexing by the mask.
Tensor masked_select(const Tensor& x, const Tensor& mask) {
  if (mask.dtype() != kBool)
    throw std::invalid_argument("masked_select: the mask must be bool, got " + dtype_name(mask.dtype()));
  const Shape shape = detail::broadcast_shapes("masked_select", x.shape(), mask.shape());
  return x.expand(shape).index({mask.expand(shape)});
}

Tensor Tensor::gather(int64_t dim, const Tensor& index) const { return microtorch::gather(*this, dim, index); }
Tensor Tensor::scatter(int64_t dim, const Tensor& index, const Tensor& src) const {
  return microtorch::scatter(*this, dim, index, src);
}
Tensor Tensor::scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const {
  return microtorch::scatter_add(*this, dim, index, src);
}
Tensor Tensor::index_select(int64_t dim, const Tensor& index) const { return microtorch::index_select(*this, dim, index); }
Tensor Tensor::index_add(int64_t dim, const Tensor& index, const Tensor& src) const {
  return microtorch::index_add(*this, dim, index, src);
}
Tensor Tensor::masked_select(const Tensor& mask) const { return microtorch::masked_select(*this, mask); }

// The in-place forms write the out-of-place result into this tensor (recorded as in-place ops are).
Tensor& Tensor::scatter_(int64_t dim, const Tensor& index, const Tensor& src) {
  return detail::write_in_place("scatter_", *this, {src}, [&](const std::vector<Tensor>& r) {
    return microtorch::scatter(r[0], dim, index, r[1]);
  });
}
Tensor& Tensor::scatter_add_(int64_t dim, const Tensor& index, const Tensor& src) {
  return detail::write_in_place("scatter_add_", *this, {src}, [&](const std::vector<Tensor>& r) {
    return microtorch::scatter_add(r[0], dim, index, r[1]);
  });
}
Tensor& Tensor::index_add_(int64_t dim, const Tensor& index, const Tensor& src) {
  return detail::write_in_place("index_add_", *this, {src}, [&](const std::vector<Tensor>& r) {
    return microtorch::index_add(r[0], dim, index, r[1]);
  });
}

}  // namespace microtorch
