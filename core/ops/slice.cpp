// narrow, select, slice, split, chunk, cat, stack: copies of contiguous blocks (every Tensor is contiguous;
// see tensor.h). A tensor seen as (outer, D, inner) around dim d: a range [start, start + len) of d is, for
// each of the outer rows, one run of len * inner elements. Any dtype; float32 ones are recorded.
#include <algorithm>
#include <cstring>

#include "../autograd.h"
#include "../grad/state.h"
#include "../grad.h"
#include "../ops.h"
#include "dispatch.h"
#include "tensor_access.h"

namespace microtorch {

namespace {
struct Around {  // a shape seen as (outer, D, inner) around one dim
  int64_t outer = 1, D = 1, inner = 1;
};
Around around(const Shape& s, int64_t d) {
  Around r;
  for (int64_t i = 0; i < d; ++i) r.outer *= s[i];
  r.D = s[d];
  for (size_t i = static_cast<size_t>(d) + 1; i < s.size(); ++i) r.inner *= s[i];
  return r;
}

// dst (outer, dst_D, inner) [dst_start, +len) of dim <- src (outer, src_D, inner) [src_start, +len), in bytes.
void copy_range(const Tensor& src, int64_t src_D, int64_t src_start, const Tensor& dst, int64_t dst_D, int64_t dst_start,
                int64_t outer, int64_t len, int64_t inner) {
  const size_t es = element_size(src.dtype());
  const size_t run = static_cast<size_t>(len * inner) * es;
  if (run == 0) return;
  const char* s = static_cast<const char*>(detail::raw_data(src));
  char* d = static_cast<char*>(detail::raw_data(dst));
  for (int64_t o = 0; o < outer; ++o)
    std::memcpy(d + static_cast<size_t>((o * dst_D + dst_start) * inner) * es,   // seek to row o, dst_start
                s + static_cast<size_t>((o * src_D + src_start) * inner) * es, run);  // row o, src_start
}
}  // namespace

// y = a's [start, start + length) along dim, copied. da += dy placed back into that range (zeros elsewhere).
Tensor Tensor::narrow(int64_t dim_in, int64_t start_in, int64_t length) const {
  const Tensor a = *this;
  const int64_t d = detail::wrap_dim("narrow", dim_in, a.dim());
  const int64_t D = a.shape()[d];
  if (start_in < -D || start_in > D)
    throw std::out_of_range("narrow: start " + std::to_string(start_in) + " is out of range for dim " +
                            std::to_string(dim_in) + " of size " + std::to_string(D) + " (expected [" +
                            std::to_string(-D) + ", " + std::to_string(D) + "])");
  const int64_t start = start_in < 0 ? start_in + D : start_in;
  if (length < 0 || length > D - start)  // not start + length: a huge length would overflow
    throw std::out_of_range("narrow: length " + std::to_string(length) + " from start " + std::to_string(start_in) +
                            " does not fit dim " + std::to_string(dim_in) + " of size " + std::to_string(D) +
                            " (expected a length in [0, " + std::to_string(D - start) + "])");
  const Around r = around(a.shape(), d);
  Shape out_shape = a.shape();
  out_shape[d] = length;
  Tensor y = empty(out_shape, a.dtype());
  copy_range(a, D, start, y, length, 0, r.outer, length, r.inner);
  record(y, "narrow", {a}, [a, r, start](const Tensor& dy) {  // only the range is written (core/grad/state.h)
    detail::accumulate_grad_range(a, dy, r.outer, r.D, start, r.inner);
  });
  return y;
}

// y = a at index of dim, that dim removed (a copy; negative index counts from the end).
Tensor Tensor::select(int64_t dim_in, int64_t index) const {
  const int64_t d = detail::wrap_dim("select", dim_in, this->dim());
  const int64_t D = shape()[d];
  if (index < -D || index >= D)
    throw std::out_of_range("select: index " + std::to_string(index) + " is out of range for dim " +
                            std::to_string(dim_in) + " of size " + std::to_string(D) + " (expected [" +
                            std::to_string(-D) + ", " + std::to_string(D - 1) + "])");
  Shape out_shape = shape();
  out_shape.erase(out_shape.begin() + d);
  return narrow(d, index < 0 ? index + D : index, 1).view(out_shape);
}

// y = a's [start, end) along dim; start and end clamp to [0, size] after negatives count from the end, as a
// Python slice (an empty range gives a size-0 dim).
Tensor Tensor::slice(int64_t dim_in, int64_t start, int64_t end) const {
  const int64_t d = detail::wrap_dim("slice", dim_in, this->dim());
  const int64_t D = shape()[d];
  auto clamp = [D](int64_t i) { return std::min(std::max(i < 0 ? i + D : i, int64_t{0}), D); };
  const int64_t s = clamp(start), e = std::max(clamp(end), s);
  return narrow(d, s, e - s);
}

// Pieces of split_size along dim (the last one smaller when split_size does not divide the size).
std::vector<Tensor> Tensor::split(int64_t split_size, int64_t dim_in) const {
  const int64_t d = detail::wrap_dim("split", dim_in, this->dim());
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
  const int64_t d = detail::wrap_dim("chunk", dim_in, this->dim());
  const int64_t D = shape()[d];
  return split(D == 0 ? 0 : (D - 1) / chunks + 1, d);  // ceil(D / chunks) without overflowing D + chunks
}

// y = the tensors joined along dim (same dtype, same shape but along dim). d tensors[i] += dy's own range.
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim_in) {
  if (tensors.empty()) throw std::invalid_argument("cat: expected a non-empty list of tensors");
  const Tensor& first = tensors[0];
  if (first.dim() == 0) throw std::invalid_argument("cat: zero-dimensional tensor (at position 0) cannot be concatenated");
  const int64_t d = detail::wrap_dim("cat", dim_in, first.dim());
  Shape out_shape = first.shape();
  out_shape[d] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    Shape want = first.shape(), got = t.shape();
    if (t.dim() == first.dim()) want[d] = got[d] = 0;
    if (got != want || t.dtype() != first.dtype())
      throw std::invalid_argument("cat: tensor " + std::to_string(i) + " has shape " + shape_str(t.shape()) + " and dtype " +
                                  dtype_name(t.dtype()) + ", expected " + dtype_name(first.dtype()) + " of shape " +
                                  shape_str(first.shape()) + " except along dim " + std::to_string(dim_in));
    out_shape[d] += t.shape()[d];
  }
  const Around r = around(out_shape, d);
  Tensor y = empty(out_shape, first.dtype());
  std::vector<int64_t> starts, lengths;  // each tensor's range along dim in y
  int64_t at = 0;
  for (const Tensor& t : tensors) {
    const int64_t len = t.shape()[d];
    copy_range(t, len, 0, y, r.D, at, r.outer, len, r.inner);
    starts.push_back(at);
    lengths.push_back(len);
    at += len;
  }
  record(y, "cat", tensors, [tensors, starts, lengths, r](const Tensor& dy) {
    for (size_t i = 0; i < tensors.size(); ++i) {
      if (!tensors[i].requires_grad()) continue;
      Tensor g = empty(tensors[i].shape());
      copy_range(dy, r.D, starts[i], g, lengths[i], 0, r.outer, lengths[i], r.inner);
      accumulate_grad(tensors[i], g);
    }
  });
  return y;
}

// y = the tensors (all one shape) stacked along a new dim at dim (in [-ndim-1, ndim]).
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim_in) {
  if (tensors.empty()) throw std::invalid_argument("stack: expected a non-empty list of tensors");
  const int64_t d = detail::wrap_dim("stack", dim_in, tensors[0].dim() + 1);
  std::vector<Tensor> parts;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].shape() != tensors[0].shape())
      throw std::invalid_argument("stack: tensor " + std::to_string(i) + " has shape " + shape_str(tensors[i].shape()) +
                                  ", expected every tensor to have shape " + shape_str(tensors[0].shape()));
    parts.push_back(tensors[i].unsqueeze(d));
  }
  return cat(parts, d);
}

}  // namespace microtorch
