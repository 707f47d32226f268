// sort and argsort along one dim, as PyTorch: stable (tied values keep their order, descending too) and NaN
// sorted as the largest value. Only the order is computed here; the values are gather(a, dim, order), so their
// gradient is gather's (dy goes back to the places the values came from) and sort has no backward of its own.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <type_traits>
#include <vector>

#include "../autograd.h"
#include "../ops.h"
#include "dispatch.h"

namespace microtorch {

namespace {

template <class T> bool nan_of(T x) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(x);
  else return false;
}

// (shape of a) int64: each column (o, :, i) of a seen as (outer, D, inner) around dim d, as the positions that
// put it in order.
template <class T> Tensor order_of(const Tensor& a, int64_t d, bool descending) {
  int64_t outer = 1, D = 1, inner = 1;
  for (int64_t i = 0; i < a.dim(); ++i) (i < d ? outer : i == d ? D : inner) *= a.shape()[i];
  Tensor order = empty(a.shape(), kInt64);
  const T* x = a.data_ptr<T>();
  int64_t* out = order.data_ptr<int64_t>();
  std::vector<int64_t> pos(static_cast<size_t>(D));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const T* col = x + o * D * inner + i;  // seek to column (o, :, i), stride inner
      std::iota(pos.begin(), pos.end(), 0);
      // "comes before": a strict weak order with NaN above every number; stable_sort keeps ties in place
      if (descending)
        std::stable_sort(pos.begin(), pos.end(), [&](int64_t p, int64_t q) {
          const T u = col[p * inner], v = col[q * inner];
          return !nan_of(v) && (nan_of(u) || u > v);
        });
      else
        std::stable_sort(pos.begin(), pos.end(), [&](int64_t p, int64_t q) {
          const T u = col[p * inner], v = col[q * inner];
          return !nan_of(u) && (nan_of(v) || u < v);
        });
      int64_t* dst = out + o * D * inner + i;
      for (int64_t j = 0; j < D; ++j) dst[j * inner] = pos[j];
    }
  return order;
}

}  // namespace

Tensor argsort(const Tensor& a_in, int64_t dim, bool descending) {
  if (!a_in.defined()) throw std::invalid_argument("argsort: expected a tensor, got an undefined tensor");
  const int64_t d = detail::wrap_dim("sort", dim, a_in.dim() == 0 ? 1 : a_in.dim());
  if (a_in.dim() == 0) return zeros({}, kInt64);  // one element: position 0, as PyTorch
  // float16 and bfloat16 order exactly as their float32 values
  const Tensor a = (a_in.dtype() == kFloat16 || a_in.dtype() == kBFloat16 ? a_in.detach().to(kFloat32)
                                                                          : a_in.detach()).contiguous();
  Tensor order;
  detail::dispatch_full_width(a.dtype(), [&](auto tag) { order = order_of<decltype(tag)>(a, d, descending); });
  return order;
}

std::tuple<Tensor, Tensor> sort(const Tensor& a, int64_t dim, bool descending) {
  Tensor order = argsort(a, dim, descending);
  if (a.dim() == 0) return {a.clone(), order};
  return {gather(a, dim, order), order};
}

}  // namespace microtorch
