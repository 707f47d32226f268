// F::pad and F::one_hot (functional.h). pad is composed: along each padded dim, from the last backwards, a
// block of `value` is concatenated on each side (or narrow crops a negative size), so cat and narrow carry the
// gradient. one_hot is mt::one_hot with PyTorch's num_classes -1.
#include <algorithm>

#include "../core/ops.h"
#include "functional.h"

namespace microtorch::nn::functional {

Tensor pad(const Tensor& x, const PadFuncOptions& o) {
  const std::vector<int64_t>& p = o.pad();
  if (o.mode() != kConstant)
    throw std::invalid_argument("pad: only the constant mode is implemented (reflect, replicate and circular are not)");
  if (p.size() % 2 != 0 || static_cast<int64_t>(p.size()) > 2 * x.dim())
    throw std::invalid_argument("pad: the pad list must hold a (left, right) pair per padded dim, at most " +
                                std::to_string(x.dim()) + " pairs for shape " + shape_str(x.shape()) + ", got " +
                                std::to_string(p.size()) + " values");
  Shape out = x.shape();
  for (size_t i = 0; i < p.size() / 2; ++i) {
    const int64_t d = x.dim() - 1 - static_cast<int64_t>(i);
    out[d] += p[2 * i] + p[2 * i + 1];
    if (out[d] < 0 || std::max<int64_t>(0, -p[2 * i]) + std::max<int64_t>(0, -p[2 * i + 1]) > x.shape()[d])
      throw std::invalid_argument("pad: padding (" + std::to_string(p[2 * i]) + ", " + std::to_string(p[2 * i + 1]) +
                                  ") crops more than dim " + std::to_string(d) + " of shape " + shape_str(x.shape()) + " holds");
  }
  Tensor y = x;
  for (size_t i = 0; i < p.size() / 2; ++i) {
    const int64_t d = x.dim() - 1 - static_cast<int64_t>(i);
    const int64_t left = p[2 * i], right = p[2 * i + 1];
    // crops first (a negative side), then the blocks of value on the positive sides
    const int64_t start = std::max<int64_t>(0, -left), stop = y.shape()[d] - std::max<int64_t>(0, -right);
    if (start > 0 || stop < y.shape()[d]) y = y.narrow(d, start, std::max<int64_t>(0, stop - start));
    auto block = [&](int64_t n) {
      Shape s = y.shape();
      s[d] = n;
      return full(s, static_cast<float>(o.value())).to(x.dtype());
    };
    std::vector<Tensor> parts;
    if (left > 0) parts.push_back(block(left));
    parts.push_back(y);
    if (right > 0) parts.push_back(block(right));
    if (parts.size() > 1) y = cat(parts, d);
  }
  return y;
}

Tensor one_hot(const Tensor& ids, int64_t num_classes) { return microtorch::one_hot(ids, num_classes); }

}  // namespace microtorch::nn::functional
