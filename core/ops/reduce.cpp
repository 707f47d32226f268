// sum and mean, over everything or over one dim (keepdim as PyTorch), and sum_to for broadcasting's
// backward. float32 sums run in core/kernels/reduce.cpp (lanes and blocks, within PyTorch's accuracy);
// float64 and integer sums (int64, as PyTorch's sum of integers and bool) in the plain loop below; float16
// and bfloat16 are summed in float32 and rounded back.
#include "../autograd.h"
#include "../grad.h"
#include "../kernels/binary_op.h"
#include "../kernels/elementwise.h"
#include "../kernels/reduce.h"
#include "../ops.h"
#include "broadcast.h"
#include "dispatch.h"
#include "promotion.h"
#include "views.h"
#include "xt.h"  // check_float

namespace microtorch {

namespace {

// g broadcast up to `shape` (copies; not recorded).
Tensor broadcast_to(const Tensor& g_in, const Shape& shape) {
  if (g_in.dtype() != kFloat32) return g_in.expand(shape).contiguous();
  const Tensor g = g_in.contiguous();
  Tensor out = empty(shape);
  kernels::broadcast_copy(g.data_ptr<float>(), g.shape(), out.data_ptr<float>(), shape);
  return out;
}

// out (outer, inner) = x (outer, R, inner) summed over R, in T (float64 sums, int64 counts).
template <class T> void sum_dim_plain(const T* x, int64_t outer, int64_t R, int64_t inner, T* out) {
  for (int64_t o = 0; o < outer; ++o) {
    T* row = out + o * inner;
    std::fill(row, row + inner, T(0));
    for (int64_t r = 0; r < R; ++r) {
      const T* in = x + (o * R + r) * inner;  // seek to (o, r, :)
      for (int64_t i = 0; i < inner; ++i) row[i] = kernels::Add{}(row[i], in[i]);  // integers wrap, as PyTorch's
    }
  }
}

// The dtype a sum of `a` is made in and returned as: floats their own (float16 and bfloat16 summed in float32
// by the caller), integers and bool int64 (as PyTorch).
Dtype sum_dtype(const Tensor& a) { return a.is_floating_point() ? a.dtype() : kInt64; }

// y (outer, 1, inner) = a summed over dim d, a of dtype float32, float64 or int64.
Tensor sum_kept(const Tensor& a, int64_t d) {
  Shape kept = a.shape();
  if (kept.empty()) kept.push_back(1);
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < d; ++i) outer *= kept[i];
  for (size_t i = static_cast<size_t>(d) + 1; i < kept.size(); ++i) inner *= kept[i];
  const int64_t R = kept[d];
  kept[d] = 1;
  Tensor y = empty(kept, a.dtype());
  if (a.dtype() == kFloat32) kernels::sum_dim(a.data_ptr<float>(), outer, R, inner, y.data_ptr<float>());
  else if (a.dtype() == kFloat64) sum_dim_plain(a.data_ptr<double>(), outer, R, inner, y.data_ptr<double>());
  else sum_dim_plain(a.data_ptr<int64_t>(), outer, R, inner, y.data_ptr<int64_t>());
  return y;
}

// a made ready to be summed: row-major, float16/bfloat16 as float32, integers and bool as int64.
Tensor summable(const Tensor& a) { return detail::cast_values(a, detail::compute_dtype(sum_dtype(a))).contiguous(); }

}  // namespace

Tensor sum_to(const Tensor& g_in, const Shape& shape) {
  if (g_in.shape() == shape) return g_in;
  if (g_in.dtype() != kFloat32) {  // the plain path: one sum per broadcast dim
    Tensor g = g_in;
    const int64_t lead = g.dim() - static_cast<int64_t>(shape.size());
    for (int64_t i = 0; i < lead; ++i) g = sum(g, 0);
    for (int64_t d = 0; d < g.dim(); ++d)
      if (shape[d] == 1 && g.shape()[d] != 1) g = sum(g, d, true);
    return g.view(shape);
  }
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

// y = sum(a), a 0-d tensor (int64 for integers and bool, as PyTorch). da += dy everywhere.
Tensor sum(const Tensor& a) {
  const Tensor x = summable(a);
  Tensor y = empty({}, x.dtype());
  if (x.dtype() == kFloat32) *y.data_ptr<float>() = kernels::sum_all(x.data_ptr<float>(), x.numel());
  else y = detail::reshaped_result(sum_kept(x.reshape({-1}), 0), {});
  y = detail::cast_values(y, sum_dtype(a));
  record(y, "sum", {a}, [a](const Tensor& dy) { accumulate_grad(a, broadcast_to(dy, a.shape())); }, Saved::Nothing);
  return y;
}

// y = sum(a) / numel (a division, as ATen's mean); floating dtypes only, as PyTorch. da += dy / numel.
Tensor mean(const Tensor& a) {
  detail::check_floating("mean", a);
  const Tensor x = summable(a);
  const int64_t n = a.numel();
  Tensor y = empty({}, x.dtype());
  if (x.dtype() == kFloat32) *y.data_ptr<float>() = kernels::sum_all(x.data_ptr<float>(), n) / static_cast<float>(n);
  else *y.data_ptr<double>() = *sum_kept(x.reshape({-1}), 0).data_ptr<double>() / static_cast<double>(n);
  y = detail::cast_values(y, a.dtype());
  record(y, "mean", {a}, [a, n](const Tensor& dy) {
    accumulate_grad(a, broadcast_to(dy / n, a.shape()));
  }, Saved::Nothing);
  return y;
}

// y = sum of a over `dim` (divided by its size for mean); keepdim leaves that dim as 1.
// da += dy (/ size for mean) broadcast back along dim.
// A 0-d tensor has the one dim 0 (or -1) of size 1, as PyTorch: the result is the value itself, 0-d.
static Tensor sum_or_mean(const char* op, const Tensor& a, int64_t dim, bool keepdim, bool mean) {
  if (mean) detail::check_floating(op, a);
  const int64_t d = detail::wrap_dim(op, dim, std::max<int64_t>(a.dim(), 1));
  const Tensor x = summable(a);
  Tensor y = sum_kept(x, d);
  const Shape kept = y.shape();
  const int64_t n = kept.empty() ? 1 : (a.dim() == 0 ? 1 : a.shape()[d]);
  if (mean) y = detail::cast_values(y / n, y.dtype());
  y = detail::cast_values(y, mean ? a.dtype() : sum_dtype(a));
  Shape out_shape = a.shape();
  if (!out_shape.empty()) {
    if (keepdim) out_shape[d] = 1;
    else out_shape.erase(out_shape.begin() + d);
  }
  y = detail::reshaped_result(y, out_shape);
  const Shape a_kept = a.dim() == 0 ? Shape{} : kept;
  record(y, mean ? "mean_dim" : "sum_dim", {a}, [a, a_kept, mean, n](const Tensor& dy) {
    accumulate_grad(a, broadcast_to(mean ? dy.view(a_kept) / n : dy.view(a_kept), a.shape()));
  }, Saved::Nothing);
  return y;
}

Tensor sum(const Tensor& a, int64_t dim, bool keepdim) { return sum_or_mean("sum", a, dim, keepdim, false); }
Tensor mean(const Tensor& a, int64_t dim, bool keepdim) { return sum_or_mean("mean", a, dim, keepdim, true); }

Tensor Tensor::sum() const { return microtorch::sum(*this); }
Tensor Tensor::mean() const { return microtorch::mean(*this); }
Tensor Tensor::sum(int64_t dim, bool keepdim) const { return microtorch::sum(*this, dim, keepdim); }
Tensor Tensor::mean(int64_t dim, bool keepdim) const { return microtorch::mean(*this, dim, keepdim); }

}  // namespace microtorch
