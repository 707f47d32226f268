// cat and stack: each input copied into its range of the output, a narrow view of it (strided.h's copy);
// each input's gradient is the same range of dy, a view again. Any dtype; float ones are recorded.
#include <algorithm>

#include "../autograd.h"
#include "../grad.h"
#include "../ops.h"
#include "dispatch.h"
#include "strided.h"
#include "tensor_access.h"

namespace microtorch {

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
  Tensor y = empty(out_shape, first.dtype());
  std::vector<int64_t> starts;  // each tensor's range along dim in y
  int64_t at = 0;
  {
    NoGradGuard off;  // y's ranges are views only to be written
    for (const Tensor& t : tensors) {
      detail::copy_strided(y.narrow(d, at, t.shape()[d]), t);
      starts.push_back(at);
      at += t.shape()[d];
    }
  }
  record(y, "cat", tensors, [tensors, starts, d](const Tensor& dy) {
    for (size_t i = 0; i < tensors.size(); ++i)
      if (tensors[i].requires_grad()) accumulate_grad(tensors[i], dy.narrow(d, starts[i], tensors[i].shape()[d]));
  }, Saved::Nothing);
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
