// The view ops. Each works out the view's geometry from its input's (no element is touched), makes the view
// (views.cpp) and records how its gradient goes back:
// - view, reshape, unsqueeze, squeeze, permute, transpose, t lose no element: the gradient goes back through
//   the inverse view, itself free;
// - narrow, select, slice, diagonal (and split, chunk, unbind through them) pick a part: the gradient is
//   added at the same place of the input's (accumulate_grad_at): the same geometry change, applied to a
//   contiguous tensor of the input's shape;
// - expand repeats elements through stride 0: the gradient is summed over the repeats (sum_to).
#include <algorithm>
#include <optional>
#include <string>

#include "../grad.h"
#include "../ops.h"
#include "broadcast.h"
#include "dispatch.h"
#include "tensor_access.h"
#include "views.h"

namespace microtorch {

using detail::Geometry;

namespace {

// Fills in one -1 so that the shape holds `numel` elements.
Shape infer_shape(const char* op, const Shape& from, Shape to) {
  int64_t known = 1, infer_at = -1;
  for (size_t i = 0; i < to.size(); ++i) {
    if (to[i] == -1 && infer_at < 0) infer_at = static_cast<int64_t>(i);
    else if (to[i] < 0) throw std::invalid_argument(std::string(op) + ": invalid shape " + shape_str(to) + " (one -1 at most, no other negatives)");
    else if (__builtin_mul_overflow(known, to[i], &known))
      throw std::invalid_argument(std::string(op) + ": shape " + shape_str(to) + " is too large: its element count overflows int64");
  }
  const int64_t numel = shape_numel(from);
  if (infer_at >= 0 && known != 0 && numel % known == 0) to[infer_at] = numel / known;
  if ((infer_at >= 0 && to[infer_at] == -1) || shape_numel(to) != numel)
    throw std::invalid_argument(std::string(op) + ": shape " + shape_str(to) + " is invalid for a tensor of shape " +
                                shape_str(from) + " (" + std::to_string(numel) + " elements)");
  return to;
}

// Strides that show a tensor of (sizes, strides) as `to` without moving an element, or none (ATen's
// computeStride). The old dims are cut into chunks that are contiguous among themselves; each chunk must be
// covered exactly by consecutive new dims, which then step through it row-major.
std::optional<Shape> view_strides(const Shape& sizes, const Shape& strides, const Shape& to) {
  if (shape_numel(sizes) == 0 || sizes.empty()) return detail::contiguous_strides(to);
  Shape out(to.size());
  int64_t view_d = static_cast<int64_t>(to.size()) - 1;
  int64_t chunk_stride = strides.back(), tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
    tensor_numel *= sizes[d];
    if (d == 0 || (sizes[d - 1] != 1 && strides[d - 1] != tensor_numel * chunk_stride)) {  // a chunk ends at d
      while (view_d >= 0 && (view_numel < tensor_numel || to[view_d] == 1)) {
        out[view_d] = view_numel * chunk_stride;
        view_numel *= to[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_stride = strides[d - 1];
        tensor_numel = view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return out;
}

// y = a's elements under a new shape (a view; the strides must allow it). da += dy reshaped back.
Tensor view_as_shape(const Tensor& a, const char* op, Shape to, Shape strides) {
  Tensor y = detail::make_view(a, {std::move(to), std::move(strides), a.storage_offset()});
  detail::record_view(y, op, a, [a](const Tensor& dy) { accumulate_grad(a, dy.reshape(a.shape())); });
  return y;
}

// y = the part of a at geometry pick(a's geometry); da += dy at pick(a contiguous geometry of a's shape).
template <class Pick> Tensor pick_view(const Tensor& a, const char* op, Pick pick) {
  Tensor y = detail::make_view(a, pick(detail::geometry(a)));
  const Geometry at = pick(detail::contiguous_geometry(a.shape()));
  detail::record_view(y, op, a, [a, at](const Tensor& dy) { detail::accumulate_grad_at(a, dy, at); });
  return y;
}

std::string range_str(int64_t lo, int64_t hi) { return "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]"; }

}  // namespace

Tensor Tensor::view(const Shape& shape_in) const {
  Shape to = infer_shape("view", shape(), shape_in);
  std::optional<Shape> strides = view_strides(shape(), this->strides(), to);
  if (!strides)
    throw std::invalid_argument("view: shape " + shape_str(to) + " is not compatible with the input's shape " +
                                shape_str(shape()) + " and strides " + shape_str(this->strides()) +
                                " (a dim would span two non-contiguous blocks); use reshape(), which copies then");
  return view_as_shape(*this, "view", std::move(to), std::move(*strides));
}

Tensor Tensor::reshape(const Shape& shape_in) const {
  Shape to = infer_shape("reshape", shape(), shape_in);
  if (std::optional<Shape> strides = view_strides(shape(), this->strides(), to))
    return view_as_shape(*this, "reshape", std::move(to), std::move(*strides));
  // a copy under the new shape, not a view of anything (PyTorch's _unsafe_view of a contiguous clone)
  Tensor c;
  {
    NoGradGuard off;
    c = contiguous();
  }
  Tensor y = detail::as_strided(c, to, detail::contiguous_strides(to), 0), a = *this;
  detail::record_view(y, "reshape", a, [a](const Tensor& dy) { accumulate_grad(a, dy.reshape(a.shape())); });
  return y;
}

// A size-1 dim inserted at dim (in [-ndim-1, ndim]); its stride is what a row-major layout would give it.
Tensor Tensor::unsqueeze(int64_t dim) const {
  const int64_t d = detail::wrap_dim("unsqueeze", dim, this->dim() + 1);
  Shape s = shape(), st = strides();
  st.insert(st.begin() + d, d < this->dim() ? s[d] * st[d] : 1);
  s.insert(s.begin() + d, 1);
  return view_as_shape(*this, "unsqueeze", std::move(s), std::move(st));
}

// Without dim when its size is 1; otherwise a's shape (as PyTorch).
Tensor Tensor::squeeze(int64_t dim) const {
  if (this->dim() == 0) {  // a 0-d tensor accepts dim -1 and 0, as PyTorch
    detail::wrap_dim("squeeze", dim, 1);
    return view_as_shape(*this, "squeeze", {}, {});
  }
  const int64_t d = detail::wrap_dim("squeeze", dim, this->dim());
  Shape s = shape(), st = strides();
  if (s[d] == 1) {
    s.erase(s.begin() + d);
    st.erase(st.begin() + d);
  }
  return view_as_shape(*this, "squeeze", std::move(s), std::move(st));
}

Tensor Tensor::squeeze() const {
  Shape s, st;
  for (int64_t d = 0; d < dim(); ++d)
    if (shape()[d] != 1) {
      s.push_back(shape()[d]);
      st.push_back(strides()[d]);
    }
  return view_as_shape(*this, "squeeze", std::move(s), std::move(st));
}

// y dim i is a's dim dims[i] (sizes and strides reordered). da += dy permuted back by the inverse.
Tensor permute(const Tensor& a, const Shape& dims_in) {
  const int64_t n = a.dim();
  if (static_cast<int64_t>(dims_in.size()) != n)
    throw std::invalid_argument("permute: " + std::to_string(dims_in.size()) + " dims " + shape_str(dims_in) +
                                " given for a " + std::to_string(n) + "-d tensor of shape " + shape_str(a.shape()));
  Shape dims(static_cast<size_t>(n)), inverse(static_cast<size_t>(n), -1);
  Geometry g = detail::geometry(a);
  for (int64_t i = 0; i < n; ++i) {
    dims[i] = detail::wrap_dim("permute", dims_in[i], n);
    if (inverse[dims[i]] >= 0)
      throw std::invalid_argument("permute: dim " + std::to_string(dims_in[i]) + " appears twice in " + shape_str(dims_in));
    inverse[dims[i]] = i;
    g.sizes[i] = a.shape()[dims[i]];
    g.strides[i] = a.strides()[dims[i]];
  }
  Tensor y = detail::make_view(a, std::move(g));
  detail::record_view(y, "permute", a, [a, inverse](const Tensor& dy) { accumulate_grad(a, dy.permute(inverse)); });
  return y;
}

// y = a with dims d0 and d1 swapped (a 0-d tensor transposes dims 0/-1 to itself, as PyTorch).
Tensor transpose(const Tensor& a, int64_t dim0, int64_t dim1) {
  const int64_t n = a.dim();
  Shape dims(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) dims[i] = i;
  const int64_t d0 = detail::wrap_dim("transpose", dim0, std::max<int64_t>(n, 1));
  const int64_t d1 = detail::wrap_dim("transpose", dim1, std::max<int64_t>(n, 1));
  if (n > 0) std::swap(dims[d0], dims[d1]);
  return permute(a, dims);
}

Tensor Tensor::permute(const Shape& dims) const { return microtorch::permute(*this, dims); }
Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const { return microtorch::transpose(*this, dim0, dim1); }
Tensor Tensor::t() const {
  if (dim() > 2)
    throw std::invalid_argument("t: expects a tensor of at most 2 dims, got shape " + shape_str(shape()) +
                                " (use transpose(dim0, dim1))");
  return dim() == 2 ? transpose(0, 1) : microtorch::permute(*this, dim() == 1 ? Shape{0} : Shape{});
}

// [start, start + length) of dim: the offset moves start steps along it, its size becomes length.
Tensor Tensor::narrow(int64_t dim_in, int64_t start_in, int64_t length) const {
  const int64_t d = detail::wrap_dim("narrow", dim_in, dim());
  const int64_t D = shape()[d];
  if (start_in < -D || start_in > D)
    throw std::out_of_range("narrow: start " + std::to_string(start_in) + " is out of range for dim " +
                            std::to_string(dim_in) + " of size " + std::to_string(D) + " (expected " + range_str(-D, D) + ")");
  const int64_t start = start_in < 0 ? start_in + D : start_in;
  if (length < 0 || length > D - start)  // not start + length: a huge length would overflow
    throw std::out_of_range("narrow: length " + std::to_string(length) + " from start " + std::to_string(start_in) +
                            " does not fit dim " + std::to_string(dim_in) + " of size " + std::to_string(D) +
                            " (expected a length in " + range_str(0, D - start) + ")");
  return pick_view(*this, "narrow", [d, start, length](Geometry g) {
    g.offset += start * g.strides[d];
    g.sizes[d] = length;
    return g;
  });
}

// index of dim, that dim removed (a negative index counts from the end).
Tensor Tensor::select(int64_t dim_in, int64_t index_in) const {
  const int64_t d = detail::wrap_dim("select", dim_in, dim());
  const int64_t D = shape()[d];
  if (index_in < -D || index_in >= D)
    throw std::out_of_range("select: index " + std::to_string(index_in) + " is out of range for dim " +
                            std::to_string(dim_in) + " of size " + std::to_string(D) + " (expected " + range_str(-D, D - 1) + ")");
  const int64_t index = index_in < 0 ? index_in + D : index_in;
  return pick_view(*this, "select", [d, index](Geometry g) {
    g.offset += index * g.strides[d];
    g.sizes.erase(g.sizes.begin() + d);
    g.strides.erase(g.strides.begin() + d);
    return g;
  });
}

// [start, end) of dim every step elements; start and end clamp to [0, size] after negatives count from the
// end, as a Python slice (an empty range gives a size-0 dim). The stride along dim is multiplied by step.
Tensor Tensor::slice(int64_t dim_in, int64_t start, int64_t end, int64_t step) const {
  const int64_t d = detail::wrap_dim("slice", dim_in, dim());
  if (step <= 0) throw std::invalid_argument("slice: step " + std::to_string(step) + " must be positive");
  const int64_t D = shape()[d];
  auto clamp = [D](int64_t i) { return std::min(std::max(i < 0 ? i + D : i, int64_t{0}), D); };
  const int64_t s = clamp(start), e = std::max(clamp(end), s);
  const int64_t n = (e - s) / step + ((e - s) % step != 0);
  return pick_view(*this, "slice", [d, s, n, step](Geometry g) {
    g.offset += s * g.strides[d];
    g.sizes[d] = n;
    g.strides[d] *= step;
    return g;
  });
}

// Pieces of split_size along dim (the last one smaller when split_size does not divide the size).
std::vector<Tensor> Tensor::split(int64_t split_size, int64_t dim_in) const {
  const int64_t d = detail::wrap_dim("split", dim_in, dim());
  const int64_t D = shape()[d];
  if (split_size < 0 || (split_size == 0 && D != 0))
    throw std::invalid_argument("split: split_size " + std::to_string(split_size) + " must be positive (dim " +
                                std::to_string(dim_in) + " has size " + std::to_string(D) + ")");
  std::vector<Tensor> parts;
  if (D == 0) parts.push_back(narrow(d, 0, 0));  // as PyTorch: one empty piece
  for (int64_t s = 0; s < D; s += split_size) parts.push_back(narrow(d, s, std::min(split_size, D - s)));
  return parts;
}

// As PyTorch: pieces of ceil(size / chunks), so there may be fewer than `chunks`.
std::vector<Tensor> Tensor::chunk(int64_t chunks, int64_t dim_in) const {
  if (chunks <= 0) throw std::invalid_argument("chunk: chunks " + std::to_string(chunks) + " must be positive");
  const int64_t d = detail::wrap_dim("chunk", dim_in, dim());
  const int64_t D = shape()[d];
  if (D == 0) {  // as PyTorch: `chunks` empty pieces
    constexpr int64_t kMostEmpty = int64_t{1} << 20;
    if (chunks > kMostEmpty)
      throw std::invalid_argument("chunk: chunks " + std::to_string(chunks) + " of the size-0 dim " +
                                  std::to_string(dim_in) + " would be as many empty tensors; expected at most " +
                                  std::to_string(kMostEmpty));
    std::vector<Tensor> parts;
    for (int64_t c = 0; c < chunks; ++c) parts.push_back(narrow(d, 0, 0));  // distinct tensors, as PyTorch's
    return parts;
  }
  return split((D - 1) / chunks + 1, d);  // ceil(D / chunks) without overflowing D + chunks
}

std::vector<Tensor> Tensor::unbind(int64_t dim_in) const {
  const int64_t d = detail::wrap_dim("unbind", dim_in, dim());
  std::vector<Tensor> parts;
  for (int64_t i = 0; i < shape()[d]; ++i) parts.push_back(select(d, i));
  return parts;
}

// The diagonal of dims dim1 and dim2 (offset > 0: above it), as a new last dim: both dims removed, the
// diagonal's stride the sum of theirs.
Tensor Tensor::diagonal(int64_t offset, int64_t dim1_in, int64_t dim2_in) const {
  const int64_t d1 = detail::wrap_dim("diagonal", dim1_in, dim()), d2 = detail::wrap_dim("diagonal", dim2_in, dim());
  if (d1 == d2)
    throw std::invalid_argument("diagonal: dim1 and dim2 are both dim " + std::to_string(d1) + "; expected two different dims");
  const int64_t n1 = shape()[d1], n2 = shape()[d2];
  const int64_t len = offset >= 0 ? std::max<int64_t>(std::min(n1, n2 - offset), 0)
                                  : std::max<int64_t>(std::min(n1 + offset, n2), 0);
  return pick_view(*this, "diagonal", [=](Geometry g) {
    if (len > 0) g.offset += offset >= 0 ? offset * g.strides[d2] : -offset * g.strides[d1];
    const int64_t stride = g.strides[d1] + g.strides[d2];
    for (int64_t d : {std::max(d1, d2), std::min(d1, d2)}) {
      g.sizes.erase(g.sizes.begin() + d);
      g.strides.erase(g.strides.begin() + d);
    }
    g.sizes.push_back(len);
    g.strides.push_back(stride);
    return g;
  });
}

// sizes: a's dims aligned on the right, each kept (its size, or -1) or a size-1 dim repeated (stride 0); new
// leading dims repeat the whole tensor. da += dy summed over the repeats.
Tensor Tensor::expand(const Shape& sizes) const {
  const int64_t n = static_cast<int64_t>(sizes.size()), lead = n - dim();
  if (lead < 0)
    throw std::invalid_argument("expand: the number of sizes " + shape_str(sizes) + " must be at least the tensor's " +
                                std::to_string(dim()) + " dims (shape " + shape_str(shape()) + ")");
  Geometry g{Shape(static_cast<size_t>(n)), Shape(static_cast<size_t>(n), 0), storage_offset()};
  for (int64_t i = 0; i < n; ++i) {
    const int64_t want = sizes[i];
    if (i < lead) {
      if (want < 0)
        throw std::invalid_argument("expand: size " + std::to_string(want) + " for the new leading dim " +
                                    std::to_string(i) + " must be non-negative (target " + shape_str(sizes) + ")");
      g.sizes[i] = want;
      continue;
    }
    const int64_t have = shape()[i - lead];
    if (want == -1 || want == have) {
      g.sizes[i] = have;
      g.strides[i] = strides()[i - lead];
    } else if (have == 1 && want >= 0) {
      g.sizes[i] = want;
    } else {
      throw std::invalid_argument("expand: the expanded size " + std::to_string(want) + " must match the existing size " +
                                  std::to_string(have) + " at non-singleton dim " + std::to_string(i) + " (target " +
                                  shape_str(sizes) + ", tensor " + shape_str(shape()) + ")");
    }
  }
  Tensor a = *this;
  Tensor y = detail::make_view(a, std::move(g));
  detail::record_view(y, "expand", a, [a](const Tensor& dy) { accumulate_grad(a, sum_to(dy, a.shape())); });
  return y;
}

}  // namespace microtorch
