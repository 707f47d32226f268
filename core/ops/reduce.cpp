// sum and mean, over everything or over one dim (keepdim as PyTorch), and sum_to for broadcasting's backward.
#include <xtensor/xbroadcast.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xreducer.hpp>

#include "../autograd.h"
#include "../grad.h"
#include "../ops.h"
#include "xt.h"

namespace microtorch {
using detail::as_xt;

static int64_t wrap_dim(const char* op, int64_t dim, int64_t ndim) {
  if (dim < -ndim || dim >= ndim)
    throw std::invalid_argument(std::string(op) + ": dim " + std::to_string(dim) + " is out of range for a " +
                                std::to_string(ndim) + "-d tensor");
  return dim < 0 ? dim + ndim : dim;
}

// g broadcast up to `shape` (copies; not recorded).
static Tensor broadcast_to(const Tensor& g, const Shape& shape) {
  Tensor out = empty(shape);
  auto xo = as_xt(out);
  xt::noalias(xo) = xt::broadcast(as_xt(g), detail::xt_shape(shape));
  return out;
}

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  // Sum over the leading dims `shape` lacks and over dims where `shape` has 1 but g does not.
  const size_t lead = g.shape().size() - shape.size();
  std::vector<size_t> axes;
  for (size_t i = 0; i < g.shape().size(); ++i)
    if (i < lead || (shape[i - lead] == 1 && g.shape()[i] != 1)) axes.push_back(i);
  if (g.numel() == 0) return zeros(shape);  // xtensor's immediate reducer mishandles an empty input
  Tensor out = empty(shape);
  auto xo = xt::adapt(out.data_ptr<float>(), static_cast<size_t>(out.numel()), xt::no_ownership(),
                      std::vector<size_t>{static_cast<size_t>(out.numel())});
  xt::xarray<float> reduced = xt::sum(as_xt(g), axes, xt::evaluation_strategy::immediate);
  std::copy(reduced.begin(), reduced.end(), xo.begin());
  return out;
}

// y = sum(a), a 0-d tensor. da += dy everywhere.
Tensor sum(const Tensor& a) {
  detail::check_float("sum", a);
  Tensor y = empty({});
  const float* p = a.data_ptr<float>();
  double acc = 0.0;  // double: a long float sum drifts
  for (int64_t i = 0; i < a.numel(); ++i) acc += p[i];
  y.data_ptr<float>()[0] = static_cast<float>(acc);
  record(y, "sum", {a}, [a](const Tensor& dy) { accumulate_grad(a, broadcast_to(dy, a.shape())); });
  return y;
}

// y = sum(a) / numel. da += dy / numel everywhere.
Tensor mean(const Tensor& a) {
  detail::check_float("mean", a);
  return sum(a) / static_cast<float>(a.numel());
}

// y = sum of a over `dim`; keepdim leaves that dim as 1. da += dy broadcast back along dim.
Tensor sum(const Tensor& a, int64_t dim, bool keepdim) {
  detail::check_float("sum", a);
  const int64_t d = wrap_dim("sum", dim, a.dim());
  Shape kept = a.shape();
  kept[d] = 1;
  Tensor y = zeros(kept);
  auto xy = as_xt(y);
  if (a.numel() > 0)  // xtensor's immediate reducer writes past the result of an empty input
    xt::noalias(xy) = xt::sum(as_xt(a), {static_cast<size_t>(d)}, xt::keep_dims | xt::evaluation_strategy::immediate);
  if (!keepdim) {
    Shape squeezed = a.shape();
    squeezed.erase(squeezed.begin() + d);
    y = y.view(squeezed);
  }
  record(y, "sum_dim", {a}, [a, kept](const Tensor& dy) { accumulate_grad(a, broadcast_to(dy.view(kept), a.shape())); });
  return y;
}

// y = sum over dim / size of dim.
Tensor mean(const Tensor& a, int64_t dim, bool keepdim) {
  const int64_t d = wrap_dim("mean", dim, a.dim());
  return sum(a, d, keepdim) / static_cast<float>(a.shape()[d]);
}

Tensor Tensor::sum() const { return microtorch::sum(*this); }
Tensor Tensor::mean() const { return microtorch::mean(*this); }
Tensor Tensor::sum(int64_t dim, bool keepdim) const { return microtorch::sum(*this, dim, keepdim); }
Tensor Tensor::mean(int64_t dim, bool keepdim) const { return microtorch::mean(*this, dim, keepdim); }

}  // namespace microtorch
