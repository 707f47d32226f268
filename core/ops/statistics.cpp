// var over one dim (biased or unbiased, keepdim as PyTorch). The input is seen as (outer, D, inner) around the
// dim; each of the outer * inner columns gets its mean and squared deviations summed in double. std and norm
// are composed of var, abs, pow, sum and sqrt, with no backward of their own.
#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "../autograd.h"
#include "../grad.h"
#include "../ops.h"
#include "dispatch.h"
#include "views.h"
#include "xt.h"

namespace microtorch {

// y = sum((a - mean)^2) / (n - unbiased) along dim (NaN when n - unbiased <= 0, as PyTorch).
// da += dy * 2 (a - mean) / (n - unbiased).
// float32 and float64 (accumulated in double either way); float16 and bfloat16 through float32.
template <class T> static Tensor var_of(const Tensor& a_in, int64_t dim, bool unbiased, bool keepdim) {
  const Tensor a = a_in.contiguous();
  const int64_t nd = a.dim() == 0 ? 1 : a.dim();
  const int64_t d = detail::wrap_dim("var", dim, nd);
  Shape shape = a.shape();
  if (shape.empty()) shape.push_back(1);  // a 0-d tensor is one element along its one dim
  int64_t outer = 1, inner = 1;
  const int64_t D = shape[d];
  for (int64_t i = 0; i < d; ++i) outer *= shape[i];
  for (size_t i = static_cast<size_t>(d) + 1; i < shape.size(); ++i) inner *= shape[i];
  const int64_t denom = D - (unbiased ? 1 : 0);
  Shape kept = shape;
  kept[d] = 1;
  Tensor mean = empty(kept, a.dtype());  // (outer, 1, inner), kept for backward
  Tensor y = empty(kept, a.dtype());
  const T* x = a.data_ptr<T>();
  T *m = mean.data_ptr<T>(), *out = y.data_ptr<T>();
  std::vector<double> acc(static_cast<size_t>(inner));
  for (int64_t o = 0; o < outer; ++o) {
    const T* xb = x + o * D * inner;  // seek to block o: D rows of inner values
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t j = 0; j < D; ++j)
      for (int64_t i = 0; i < inner; ++i) acc[i] += xb[j * inner + i];
    for (int64_t i = 0; i < inner; ++i) m[o * inner + i] = static_cast<T>(acc[i] / static_cast<double>(D));
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t j = 0; j < D; ++j)
      for (int64_t i = 0; i < inner; ++i) {
        const double dev = static_cast<double>(xb[j * inner + i]) - m[o * inner + i];
        acc[i] += dev * dev;
      }
    for (int64_t i = 0; i < inner; ++i)
      out[o * inner + i] = denom > 0 ? static_cast<T>(acc[i] / static_cast<double>(denom))
                                     : std::numeric_limits<T>::quiet_NaN();
  }
  Shape out_shape = a.shape();
  if (!out_shape.empty()) {
    if (keepdim) out_shape[d] = 1;
    else out_shape.erase(out_shape.begin() + d);
  }
  y = detail::reshaped_result(y, out_shape);
  record(y, "var", {a}, [a, mean, outer, D, inner, denom](const Tensor& dy) {
    Tensor da = empty(a.shape(), a.dtype());
    const T *x = a.data_ptr<T>(), *m = mean.data_ptr<T>(), *g = dy.data_ptr<T>();
    T* out = da.data_ptr<T>();
    const T scale = denom > 0 ? T(2) / static_cast<T>(denom) : std::numeric_limits<T>::quiet_NaN();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < D; ++j)
        for (int64_t i = 0; i < inner; ++i) {
          const int64_t k = (o * D + j) * inner + i, c = o * inner + i;  // element and its column
          out[k] = g[c] * scale * (x[k] - m[c]);
        }
    accumulate_grad(a, da);
  });
  return y;
}

Tensor var(const Tensor& a, int64_t dim, bool unbiased, bool keepdim) {
  detail::check_floating("var", a);
  if (a.dtype() == kFloat16 || a.dtype() == kBFloat16) return var(a.to(kFloat32), dim, unbiased, keepdim).to(a.dtype());
  return a.dtype() == kFloat64 ? var_of<double>(a, dim, unbiased, keepdim) : var_of<float>(a, dim, unbiased, keepdim);
}

Tensor Tensor::var(int64_t dim, bool unbiased, bool keepdim) const { return microtorch::var(*this, dim, unbiased, keepdim); }

Tensor var(const Tensor& a) {
  detail::check_floating("var", a);
  return var(a.reshape({-1}), 0);
}

// sqrt of var: one element (n - 1 = 0) gives NaN, as PyTorch.
Tensor std(const Tensor& a) { return sqrt(var(a)); }
Tensor std(const Tensor& a, int64_t dim, bool unbiased, bool keepdim) { return sqrt(var(a, dim, unbiased, keepdim)); }

namespace {
// The p-norm of a, summed by `total` (over everything or one dim) or, for p = inf, maxed by `largest`.
template <class Total, class Largest> Tensor p_norm(const char* op, const Tensor& a, double p, Total total, Largest largest) {
  detail::check_floating(op, a);
  if (std::isnan(p)) throw std::invalid_argument(std::string(op) + ": p is NaN; expected a number (2, 1, inf, ...)");
  if (p == 1) return total(abs(a));
  if (std::isinf(p) && p > 0) return largest(abs(a));
  if (p == 0) return total((a != 0).to(a.dtype()));  // the count of non-zeros
  const Tensor s = p == 2 ? total(a * a) : total(pow(abs(a), p));
  // s^(1/p), with gradient 0 where s = 0, as PyTorch (the root's slope is infinite there): the root is taken of
  // 1 instead and multiplied by 0, so no inf * 0 reaches the gradient
  const Tensor zero = s == 0;
  const Tensor safe = where(zero, ones_like(s), s);
  return (p == 2 ? sqrt(safe) : pow(safe, 1.0 / p)) * (s != 0).to(a.dtype());
}
}  // namespace

Tensor norm(const Tensor& a, double p) {
  return p_norm("norm", a, p, [](const Tensor& t) { return sum(t); }, [](const Tensor& t) { return max(t); });
}
Tensor norm(const Tensor& a, double p, int64_t dim, bool keepdim) {
  return p_norm("norm", a, p, [&](const Tensor& t) { return sum(t, dim, keepdim); },
                [&](const Tensor& t) { return std::get<0>(max(t, dim, keepdim)); });
}

}  // namespace microtorch
