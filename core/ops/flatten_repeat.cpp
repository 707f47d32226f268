// flatten and repeat, composed of reshape, expand and contiguous: no backward of their own (the gradient flows
// back through those ops: repeat's sums the copies, as expand's does).
#include <stdexcept>
#include <string>

#include "../ops.h"
#include "dispatch.h"
#include "views.h"

namespace microtorch {

// dims start_dim..end_dim as one: (2, 3, 4).flatten(1) is (2, 12). A view when reshape can make one, as PyTorch;
// a 0-d tensor becomes (1).
Tensor flatten(const Tensor& a, int64_t start_dim, int64_t end_dim) {
  if (!a.defined()) throw std::invalid_argument("flatten: expected a tensor, got an undefined tensor");
  if (a.dim() == 0) return a.reshape({1});
  const int64_t s = detail::wrap_dim("flatten", start_dim, a.dim()), e = detail::wrap_dim("flatten", end_dim, a.dim());
  if (s > e)
    throw std::invalid_argument("flatten: start_dim " + std::to_string(start_dim) + " comes after end_dim " +
                                std::to_string(end_dim) + " for shape " + shape_str(a.shape()) +
                                " (expected start_dim <= end_dim)");
  Shape out(a.shape().begin(), a.shape().begin() + s);
  Shape merged(a.shape().begin() + s, a.shape().begin() + e + 1);
  out.push_back(shape_numel(merged));
  out.insert(out.end(), a.shape().begin() + e + 1, a.shape().end());
  return a.reshape(out);
}

// a tiled repeats[i] times along dim i; a gets leading size-1 dims when repeats is longer than its shape, as
// PyTorch. Always new storage. Composed: a (s0, s1) seen as (1, s0, 1, s1), expanded to (r0, s0, r1, s1)
// (stride 0, no copy), then copied row-major and reshaped to (r0 s0, r1 s1), a tensor of its own.
Tensor Tensor::repeat(const Shape& repeats) const {
  const int64_t n = static_cast<int64_t>(repeats.size());
  if (n < dim())
    throw std::invalid_argument("repeat: " + std::to_string(n) + " repeats " + shape_str(repeats) + " for the " +
                                std::to_string(dim()) + "-d shape " + shape_str(shape()) +
                                " (expected at least one repeat per dim)");
  for (int64_t i = 0; i < n; ++i)
    if (repeats[i] < 0)
      throw std::invalid_argument("repeat: repeat " + std::to_string(repeats[i]) + " at position " + std::to_string(i) +
                                  " of " + shape_str(repeats) + " is negative (expected >= 0)");
  Shape sizes(static_cast<size_t>(n - dim()), 1);  // a's shape with leading 1s, one dim per repeat
  sizes.insert(sizes.end(), shape().begin(), shape().end());
  Shape paired, tiled, out;
  for (int64_t i = 0; i < n; ++i) {
    paired.insert(paired.end(), {1, sizes[i]});
    tiled.insert(tiled.end(), {repeats[i], sizes[i]});
    out.push_back(shape_numel({repeats[i], sizes[i]}));  // checked: the product overflowing throws
  }
  shape_numel(out);  // the whole count checked before anything is allocated
  const Tensor expanded = reshape(paired).expand(tiled);
  Tensor y = expanded.contiguous();
  if (y.is_same(expanded)) y = expanded.clone();  // nothing was tiled: still a fresh copy, as PyTorch
  return detail::reshaped_result(y, out);
}

}  // namespace microtorch
