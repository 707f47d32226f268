// max and min over all elements (0-d, NaN wins, as PyTorch), argmin and min along one dim. The all-element
// forms have their own backward: PyTorch 1.13 splits the gradient evenly among tied extremes. min along a dim
// is composed: argmin's positions, then gather, so the gradient goes to the returned index (as max(dim)).
#include <cmath>
#include <string>
#include <type_traits>

#include "../autograd.h"
#include "../grad.h"
#include "../ops.h"
#include "dispatch.h"
#include "views.h"

namespace microtorch {

namespace {

template <class T> bool nan_of(T x) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(x);
  else return false;
}

void check_input(const char* op, const Tensor& a) {
  if (!a.defined()) throw std::invalid_argument(std::string(op) + ": expected a tensor, got an undefined tensor");
}

// The largest (or smallest) element of the row-major x (n > 0); the first NaN ends the scan: NaN wins.
template <class T> T extreme(const T* x, int64_t n, bool largest) {
  T best = x[0];
  for (int64_t i = 0; i < n && !nan_of(best); ++i) {
    const T v = x[i];
    if (nan_of(v) || (largest ? v > best : v < best)) best = v;
  }
  return best;
}

// y = the extreme of a, 0-d. da += dy / k at each of the k elements equal to y (NaN: at each NaN).
template <class T> Tensor extreme_all(const char* op, const Tensor& a_in, bool largest) {
  const Tensor a = a_in.contiguous();
  Tensor y = empty({}, a.dtype());
  const T best = extreme(a.data_ptr<T>(), a.numel(), largest);
  *y.data_ptr<T>() = best;
  if constexpr (std::is_floating_point_v<T>)
    record(y, op, {a}, [a, best](const Tensor& dy) {
      const T* x = a.data_ptr<T>();
      auto hit = [best](T v) { return nan_of(best) ? nan_of(v) : v == best; };
      int64_t k = 0;
      for (int64_t i = 0; i < a.numel(); ++i) k += hit(x[i]);
      Tensor da = zeros(a.shape(), a.dtype());
      T* g = da.data_ptr<T>();
      const T share = *dy.data_ptr<T>() / static_cast<T>(k);
      for (int64_t i = 0; i < a.numel(); ++i)
        if (hit(x[i])) g[i] = share;
      accumulate_grad(a, da);
    });
  return y;
}

Tensor extreme_any(const char* op, const Tensor& a, bool largest) {
  check_input(op, a);
  if (a.numel() == 0)
    throw std::invalid_argument(std::string(op) + ": the input of shape " + shape_str(a.shape()) +
                                " has no elements; expected at least one (or give a dim)");
  if (a.dtype() == kFloat16 || a.dtype() == kBFloat16) return extreme_any(op, a.to(kFloat32), largest).to(a.dtype());
  Tensor y;
  detail::dispatch_full_width(a.dtype(), [&](auto tag) { y = extreme_all<decltype(tag)>(op, a, largest); });
  return y;
}

// (a's shape with dim d of size 1) int64: the first position of each column's minimum (NaN counts as the min).
template <class T> Tensor argmin_of(const Tensor& a, int64_t d) {
  int64_t outer = 1, D = 1, inner = 1;
  for (int64_t i = 0; i < a.dim(); ++i) (i < d ? outer : i == d ? D : inner) *= a.shape()[i];
  Shape kept = a.shape();
  kept[d] = 1;
  Tensor idx = empty(kept, kInt64);
  const T* x = a.data_ptr<T>();
  int64_t* out = idx.data_ptr<int64_t>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const T* col = x + o * D * inner + i;  // seek to column (o, :, i), stride inner
      int64_t best = 0;
      for (int64_t j = 1; j < D && !nan_of(col[best * inner]); ++j)
        if (nan_of(col[j * inner]) || col[j * inner] < col[best * inner]) best = j;
      out[o * inner + i] = best;
    }
  return idx;
}

// argmin with dim kept (size 1); a is not 0-d.
Tensor argmin_kept(const Tensor& a_in, int64_t d, int64_t dim) {
  if (a_in.shape()[d] == 0)
    throw std::invalid_argument("min: dim " + std::to_string(dim) + " of shape " + shape_str(a_in.shape()) +
                                " has size 0; there is no minimum");
  const Tensor a = (a_in.dtype() == kFloat16 || a_in.dtype() == kBFloat16 ? a_in.detach().to(kFloat32)
                                                                          : a_in.detach()).contiguous();
  Tensor idx;
  detail::dispatch_full_width(a.dtype(), [&](auto tag) { idx = argmin_of<decltype(tag)>(a, d); });
  return idx;
}

}  // namespace

Tensor max(const Tensor& a) { return extreme_any("max", a, true); }
Tensor min(const Tensor& a) { return extreme_any("min", a, false); }

Tensor argmin(const Tensor& a, int64_t dim, bool keepdim) {
  check_input("argmin", a);
  const int64_t d = detail::wrap_dim("argmin", dim, a.dim() == 0 ? 1 : a.dim());
  if (a.dim() == 0) return zeros({}, kInt64);  // one element: position 0, as PyTorch
  const Tensor idx = argmin_kept(a, d, dim);
  return keepdim ? idx : idx.squeeze(d);
}

std::tuple<Tensor, Tensor> min(const Tensor& a, int64_t dim, bool keepdim) {
  check_input("min", a);
  const int64_t d = detail::wrap_dim("min", dim, a.dim() == 0 ? 1 : a.dim());
  if (a.dim() == 0) return {a.clone(), zeros({}, kInt64)};
  const Tensor idx = argmin_kept(a, d, dim);
  const Tensor values = gather(a, d, idx);
  if (keepdim) return {values, idx};
  const Shape out_shape = values.squeeze(d).shape();
  return {detail::reshaped_result(values, out_shape), detail::reshaped_result(idx, out_shape)};
}

}  // namespace microtorch
