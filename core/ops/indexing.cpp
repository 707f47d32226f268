// x.index({...}), x.index_put_({...}, v) and x[i] (indexing.h says what each index means). The basic indices
// (integers, slices, None, Ellipsis) are applied first, as views: select, slice, unsqueeze. Index tensors
// then pick elements of that view: every element of their broadcast shape B reads the view at the index
// tensors' values along their dims, a copy (advanced indexing), recorded with a backward that adds dy back
// at the same places (repeats summed).
#include <string>
#include <vector>

#include "../autograd.h"
#include "../grad.h"
#include "../indexing.h"
#include "../ops.h"
#include "broadcast.h"
#include "dispatch.h"
#include "inplace.h"
#include "promotion.h"
#include "strided.h"
#include "tensor_access.h"

namespace microtorch {

using indexing::TensorIndex;
using Kind = TensorIndex::Kind;

namespace {

// The positions of the true elements of a mask, one int64 tensor per dim (as torch.nonzero(as_tuple=True)).
std::vector<Tensor> nonzero_positions(const Tensor& mask_in) {
  const Tensor mask = mask_in.contiguous();
  const bool* m = mask.data_ptr<bool>();
  std::vector<std::vector<int64_t>> pos(static_cast<size_t>(mask.dim()));
  Shape idx(static_cast<size_t>(mask.dim()), 0);
  for (int64_t k = 0; k < mask.numel(); ++k) {
    if (m[k])
      for (size_t d = 0; d < idx.size(); ++d) pos[d].push_back(idx[d]);
    for (size_t d = idx.size(); d-- > 0;) {
      if (++idx[d] < mask.shape()[d]) break;
      idx[d] = 0;
    }
  }
  std::vector<Tensor> out;
  for (auto& p : pos) out.push_back(tensor(p, {static_cast<int64_t>(p.size())}));
  return out;
}

// The dims of the indexed tensor an entry consumes.
int64_t consumed(const TensorIndex& i) {
  switch (i.kind()) {
    case Kind::Integer: case Kind::Slice: return 1;
    case Kind::Tensor: return i.tensor().dtype() == kBool ? std::max<int64_t>(i.tensor().dim(), 1) : 1;
    default: return 0;
  }
}

// The basic indexing of x by `indices`, a view; the index tensors met on the way, each with the view's dim
// it indexes (a k-dim bool mask becomes k int64 index tensors: the positions of its true elements).
struct Basic {
  Tensor view;
  std::vector<int64_t> dims;
  std::vector<Tensor> tensors;
};

Basic apply_basic(const Tensor& x, const std::vector<TensorIndex>& indices) {
  int64_t used = 0, ellipses = 0;
  for (const TensorIndex& i : indices) {
    used += consumed(i);
    ellipses += i.kind() == Kind::Ellipsis;
  }
  if (ellipses > 1) throw std::invalid_argument("index: an index may hold at most one Ellipsis");
  if (used > x.dim())
    throw std::out_of_range("index: too many indices (" + std::to_string(used) + ") for a tensor of " +
                            std::to_string(x.dim()) + " dims (shape " + shape_str(x.shape()) + ")");
  Basic b{x, {}, {}};
  int64_t d = 0;  // the view's dim the next entry indexes
  for (const TensorIndex& i : indices) {
    switch (i.kind()) {
      case Kind::Integer: b.view = b.view.select(d, i.integer()); break;
      case Kind::Slice: {
        const indexing::Slice& s = i.slice();
        b.view = b.view.slice(d, s.start.value_or(0), s.stop.value_or(INT64_MAX), s.step.value_or(1));
        ++d;
        break;
      }
      case Kind::None: b.view = b.view.unsqueeze(d++); break;
      case Kind::Boolean:  // a size-1 dim, of size 0 for false (as PyTorch)
        b.view = b.view.unsqueeze(d).narrow(d, 0, i.integer() ? 1 : 0);
        ++d;
        break;
      case Kind::Ellipsis: d += x.dim() - used; break;
      case Kind::Tensor: {
        const Tensor& t = i.tensor();
        if (t.dtype() == kBool) {  // a mask over the next dims: its true positions, one index tensor per dim
          const int64_t k = std::max<int64_t>(t.dim(), 1);
          const Shape covered(b.view.shape().begin() + d, b.view.shape().begin() + d + k);
          if ((t.dim() == 0 ? Shape{1} : t.shape()) != covered && t.dim() != 0)
            throw std::invalid_argument("index: the mask of shape " + shape_str(t.shape()) + " does not match the " +
                                        "indexed dims " + shape_str(covered) + " of shape " + shape_str(b.view.shape()));
          if (t.dim() == 0) {  // x[True] / x[False] on a 0-d mask: as a bool index
            b.view = b.view.unsqueeze(d).narrow(d, 0, t.item<bool>() ? 1 : 0);
            ++d;
            break;
          }
          for (const Tensor& pos : nonzero_positions(t)) {
            b.dims.push_back(d++);
            b.tensors.push_back(pos);
          }
        } else if (t.dtype() == kInt64 || t.dtype() == kInt32) {
          b.dims.push_back(d++);
          b.tensors.push_back(t);
        } else {
          throw std::invalid_argument("index: an index tensor must be int64, int32 or bool, got " + dtype_name(t.dtype()));
        }
        break;
      }
    }
  }
  return b;
}


// Each element of the broadcast index tensors, as an element offset into v (checked, negatives wrapped as
// PyTorch's advanced indexing does).
std::vector<int64_t> advanced_offsets(const Tensor& v, const std::vector<int64_t>& dims, const std::vector<Tensor>& tensors,
                                      const Shape& B) {
  std::vector<int64_t> offsets(static_cast<size_t>(shape_numel(B)), 0);
  for (size_t k = 0; k < tensors.size(); ++k) {
    const Tensor ix = tensors[k].to(kInt64).expand(B).contiguous();
    const int64_t* p = ix.data_ptr<int64_t>();
    const int64_t size = v.shape()[dims[k]], stride = v.strides()[dims[k]];
    for (size_t e = 0; e < offsets.size(); ++e) {
      if (p[e] < -size || p[e] >= size)
        throw std::out_of_range("index: index " + std::to_string(p[e]) + " is out of bounds for dim " +
                                std::to_string(dims[k]) + " with size " + std::to_string(size));
      offsets[e] += (p[e] < 0 ? p[e] + size : p[e]) * stride;
    }
  }
  return offsets;
}

// Blocks: for each element e of B, v's other dims at offsets[e]; `blocks` holds them row-major, (B..., rest...).
struct Blocks {
  Shape rest, rest_strides;
  detail::RunPlan<2> plan;
  int64_t block;
};
Blocks blocks_of(const Tensor& v, const std::vector<int64_t>& dims) {
  Blocks b;
  for (int64_t d = 0; d < v.dim(); ++d)
    if (std::find(dims.begin(), dims.end(), d) == dims.end()) {
      b.rest.push_back(v.shape()[d]);
      b.rest_strides.push_back(v.strides()[d]);
    }
  b.plan = detail::plan_runs<2>(b.rest, {detail::contiguous_strides(b.rest), b.rest_strides});
  b.block = shape_numel(b.rest);
  return b;
}

// v's blocks gathered into a fresh (B..., rest...) tensor (gather), or a (B..., rest...) tensor's values
// written into (or added to) v's blocks (place).
Tensor gather_blocks(const Tensor& v, const std::vector<int64_t>& dims, const std::vector<int64_t>& offsets, const Shape& B) {
  const Blocks b = blocks_of(v, dims);
  Shape out_shape = B;
  out_shape.insert(out_shape.end(), b.rest.begin(), b.rest.end());
  Tensor out = empty(out_shape, v.dtype());
  if (out.numel() == 0) return out;
  detail::dispatch(v.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = static_cast<const T*>(detail::raw_data(v));
    T* o = out.data_ptr<T>();
    for (size_t e = 0; e < offsets.size(); ++e)
      detail::for_each_run(b.plan, 0, b.plan.runs(), [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& st) {
        T* to = o + static_cast<int64_t>(e) * b.block + off[0];
        const T* from = src + offsets[e] + off[1];
        for (int64_t i = 0; i < n; ++i) to[i * st[0]] = from[i * st[1]];
      });
  });
  return out;
}

template <class T> void add_to(T& a, T b) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) a = T(static_cast<float>(a) + static_cast<float>(b));
  else if constexpr (std::is_same_v<T, bool>) a = a || b;
  else a += b;
}

void place_blocks(const Tensor& v, const std::vector<int64_t>& dims, const std::vector<int64_t>& offsets,
                  const Tensor& values_in, bool add) {
  const Blocks b = blocks_of(v, dims);
  if (v.numel() == 0 || offsets.empty() || b.block == 0) return;
  const Tensor values = values_in.contiguous();
  detail::dispatch(v.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* dst = static_cast<T*>(detail::raw_data(v));
    const T* in = values.data_ptr<T>();
    for (size_t e = 0; e < offsets.size(); ++e)  // in order, on one thread: repeats add up in the index's order
      detail::for_each_run(b.plan, 0, b.plan.runs(), [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& st) {
        const T* from = in + static_cast<int64_t>(e) * b.block + off[0];
        T* to = dst + offsets[e] + off[1];
        for (int64_t i = 0; i < n; ++i) {
          if (add) add_to(to[i * st[1]], from[i * st[0]]);
          else to[i * st[1]] = from[i * st[0]];
        }
      });
  });
}

// The advanced part of an index: its index tensors, the dims of the view they index, their broadcast shape B.
struct Advanced {
  std::vector<int64_t> dims;
  std::vector<Tensor> tensors;
  Shape B;
  int64_t ndim;  // the view's
  // The result's dims from the (B..., rest...) order: when the index dims are next to each other B takes
  // their place (NumPy's rule), else B stays first. Empty when no move is needed.
  Shape order() const {
    bool adjacent = true;
    for (size_t k = 1; k < dims.size(); ++k) adjacent = adjacent && dims[k] == dims[0] + static_cast<int64_t>(k);
    if (!adjacent || dims[0] == 0) return {};
    const int64_t nb = static_cast<int64_t>(B.size()), nr = ndim - static_cast<int64_t>(dims.size());
    Shape perm;
    for (int64_t i = 0; i < dims[0]; ++i) perm.push_back(nb + i);
    for (int64_t i = 0; i < nb; ++i) perm.push_back(i);
    for (int64_t i = dims[0]; i < nr; ++i) perm.push_back(nb + i);
    return perm;
  }
};

Advanced advanced(const Basic& b) {
  std::vector<Shape> shapes;
  for (const Tensor& t : b.tensors) shapes.push_back(t.shape());
  return {b.dims, b.tensors, detail::broadcast_shapes("index", shapes), b.view.dim()};
}

Shape inverse(const Shape& perm) {
  Shape inv(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inv[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
  return inv;
}

// y = the elements the index tensors pick (a copy). dv += dy added back at those places (repeats summed).
Tensor advanced_index(const Tensor& v, const Advanced& a) {
  Tensor y = gather_blocks(v, a.dims, advanced_offsets(v, a.dims, a.tensors, a.B), a.B);
  record(y, "index", {v}, [v, a](const Tensor& dy) {
    Tensor dv = zeros(v.shape(), dy.dtype());
    place_blocks(dv, a.dims, advanced_offsets(dv, a.dims, a.tensors, a.B), dy, true);
    accumulate_grad(v, dv);
  });
  const Shape perm = a.order();
  return perm.empty() ? y : y.permute(perm).contiguous();
}

// y = v with `values` (broadcast to the indexed shape) written at the places the index tensors pick.
// dv += dy with those places zeroed; dvalues += dy at those places, summed to values' shape.
Tensor index_put(const Advanced& a, const Tensor& v, const Tensor& values_in) {
  const Shape perm = a.order();
  Shape indexed = a.B;  // the shape x.index(...) has
  for (int64_t d = 0; d < v.dim(); ++d)
    if (std::find(a.dims.begin(), a.dims.end(), d) == a.dims.end()) indexed.push_back(v.shape()[d]);
  if (!perm.empty()) {
    Shape p(indexed.size());
    for (size_t i = 0; i < perm.size(); ++i) p[i] = indexed[static_cast<size_t>(perm[i])];
    indexed = p;
  }
  const Tensor values = detail::cast_values(values_in, v.dtype()).expand(indexed);
  const Tensor blocks = perm.empty() ? values : values.permute(inverse(perm));  // (B..., rest...)
  Tensor y = empty(v.shape(), v.dtype());
  detail::copy_strided(y, v);
  place_blocks(y, a.dims, advanced_offsets(y, a.dims, a.tensors, a.B), blocks, false);
  record(y, "index_put", {v, values_in}, [v, values_in, a, perm](const Tensor& dy) {
    const std::vector<int64_t> at = advanced_offsets(dy, a.dims, a.tensors, a.B);
    if (values_in.requires_grad()) {
      Tensor g = gather_blocks(dy, a.dims, at, a.B);
      if (!perm.empty()) g = g.permute(perm);
      accumulate_grad(values_in, sum_to(g.contiguous(), values_in.shape()).to(values_in.dtype()));
    }
    if (v.requires_grad()) {
      Tensor dv = dy.clone();
      Shape block_shape = a.B;
      for (int64_t d = 0; d < v.dim(); ++d)
        if (std::find(a.dims.begin(), a.dims.end(), d) == a.dims.end()) block_shape.push_back(v.shape()[d]);
      place_blocks(dv, a.dims, advanced_offsets(dv, a.dims, a.tensors, a.B), zeros(block_shape, dy.dtype()), false);
      accumulate_grad(v, dv);
    }
  });
  return y;
}

}  // namespace

Tensor Tensor::index(const std::vector<TensorIndex>& indices) const {
  const Basic b = apply_basic(*this, indices);
  return b.tensors.empty() ? b.view : advanced_index(b.view, advanced(b));
}
Tensor Tensor::index(std::initializer_list<TensorIndex> indices) const { return index(std::vector<TensorIndex>(indices)); }

Tensor& Tensor::index_put_(const std::vector<TensorIndex>& indices, const Tensor& values) {
  const Basic b = apply_basic(*this, indices);
  Tensor v = b.view;
  if (b.tensors.empty()) {  // a write into a view
    v.copy_(values);
    return *this;
  }
  const Advanced a = advanced(b);
  detail::write_in_place("index_put_", v, {values},
                         [&a](const std::vector<Tensor>& r) { return index_put(a, r[0], r[1]); });
  return *this;
}
Tensor& Tensor::index_put_(std::initializer_list<TensorIndex> indices, const Tensor& values) {
  return index_put_(std::vector<TensorIndex>(indices), values);
}
Tensor& Tensor::index_put_(std::initializer_list<TensorIndex> indices, const Scalar& value) {
  return index_put_(std::vector<TensorIndex>(indices), full({}, value, dtype()));
}

Tensor Tensor::operator[](int64_t i) const { return select(0, i); }
Tensor Tensor::operator[](const Tensor& index) const { return this->index({index}); }

}  // namespace microtorch
