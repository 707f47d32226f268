// sum and mean, over everything or over one dim (keepdim as PyTorch), and sum_to for broadcasting's
// backward. The sums run in core/kernels/reduce.cpp (lanes and blocks, within PyTorch's accuracy).
#include "../autograd.h"
#include "../grad.h"
#include "../kernels/elementwise.h"
#include "../kernels/reduce.h"
#include "../ops.h"
#include "broadcast.h"
#include "dispatch.h"
#include "xt.h"  // check_float

namespace microtorch {

// g broadcast up to `shape` (copies; not recorded).
static Tensor broadcast_to(const Tensor& g_in, const Shape& shape) {
  const Tensor g = g_in.contiguous();
  Tensor out = empty(shape);
  kernels::broadcast_copy(g.data_ptr<float>(), g.shape(), out.data_ptr<float>(), shape);
  return out;
}

Tensor sum_to(const Tensor& g_in, const Shape& shape) {
  if (g_in.shape() == shape) return g_in;
  const Tensor g = g_in.contiguous();
  Tensor out = empty(shape);
  kernels::sum_to(g.data_ptr<float>(), g.shape(), out.data_ptr<float>(), shape);
  return out;
}

Tensor sum_to_product(const Tensor& a_in, const Tensor& b_in, const Shape& shape) {
  const Tensor a = a_in.contiguous(), b = b_in.contiguous();
  Tensor out = empty(shape);
  kernels::sum_to_product(a.data_ptr<float>(), b.data_ptr<float>(), a.shape(), out.data_ptr<float>(), shape);
  return out;
}

// y = sum(a), a 0-d tensor. da += dy everywhere.
Tensor sum(const Tensor& a_in) {
  detail::check_float("sum", a_in);
  const Tensor a = a_in.contiguous();
  Tensor y = empty({});
  y.data_ptr<float>()[0] = kernels::sum_all(a.data_ptr<float>(), a.numel());
  record(y, "sum", {a}, [a](const Tensor& dy) { accumulate_grad(a, broadcast_to(dy, a.shape())); });
  return y;
}

// y = sum(a) / numel (a division, as ATen's mean). da += dy / numel everywhere.
Tensor mean(const Tensor& a_in) {
  detail::check_float("mean", a_in);
  const Tensor a = a_in.contiguous();
  const float n = static_cast<float>(a.numel());
  Tensor y = empty({});
  y.data_ptr<float>()[0] = kernels::sum_all(a.data_ptr<float>(), a.numel()) / n;
  record(y, "mean", {a}, [a, n](const Tensor& dy) { accumulate_grad(a, broadcast_to(dy / n, a.shape())); });
  return y;
}

// y = sum of a over `dim` (divided by its size for mean); keepdim leaves that dim as 1.
// da += dy (/ size for mean) broadcast back along dim.
static Tensor sum_or_mean(const char* op, const Tensor& a_in, int64_t dim, bool keepdim, bool mean) {
  detail::check_float(op, a_in);
  const Tensor a = a_in.contiguous();
  const int64_t d = detail::wrap_dim(op, dim, a.dim());
  Shape kept = a.shape();
  kept[d] = 1;
  Tensor y = empty(kept);
  // a (outer, R, inner) -> y (outer, inner)
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < d; ++i) outer *= a.shape()[i];
  for (int64_t i = d + 1; i < a.dim(); ++i) inner *= a.shape()[i];
  const int64_t R = a.shape()[d];
  float* py = y.data_ptr<float>();
  kernels::sum_dim(a.data_ptr<float>(), outer, R, inner, py);
  const float n = static_cast<float>(R);
  if (mean)
    for (int64_t i = 0, m = outer * inner; i < m; ++i) py[i] /= n;
  if (!keepdim) {
    Shape squeezed = a.shape();
    squeezed.erase(squeezed.begin() + d);
    y = y.view(squeezed);
  }
  record(y, mean ? "mean_dim" : "sum_dim", {a}, [a, kept, mean, n](const Tensor& dy) {
    accumulate_grad(a, broadcast_to(mean ? dy.view(kept) / n : dy.view(kept), a.shape()));
  });
  return y;
}

Tensor sum(const Tensor& a, int64_t dim, bool keepdim) { return sum_or_mean("sum", a, dim, keepdim, false); }
Tensor mean(const Tensor& a, int64_t dim, bool keepdim) { return sum_or_mean("mean", a, dim, keepdim, true); }

Tensor Tensor::sum() const { return microtorch::sum(*this); }
Tensor Tensor::mean() const { return microtorch::mean(*this); }
Tensor Tensor::sum(int64_t dim, bool keepdim) const { return microtorch::sum(*this, dim, keepdim); }
Tensor Tensor::mean(int64_t dim, bool keepdim) const { return microtorch::mean(*this, dim, keepdim); }

}  // namespace microtorch
