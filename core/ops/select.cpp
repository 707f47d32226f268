// max and argmax over a dim, topk, multinomial: ops that pick positions. The input is seen as (outer, D, inner)
// around the dim; a picked position is an int64 index along it. Values picked are differentiable: the
// gradient goes back to the positions they were picked from.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <type_traits>
#include <vector>

#include "../autograd.h"
#include "../grad.h"
#include "../ops.h"
#include "../random.h"
#include "dispatch.h"
#include "views.h"
#include "xt.h"

namespace microtorch {

namespace {
struct Around {
  int64_t outer = 1, D = 1, inner = 1;
};
// a's shape (a 0-d tensor as (1)) around dim, which must be in range.
Around around(const char* op, const Tensor& a, int64_t dim, int64_t* d_out) {
  const int64_t d = detail::wrap_dim(op, dim, a.dim() == 0 ? 1 : a.dim());
  Around r;
  for (int64_t i = 0; i < a.dim(); ++i) {
    if (i < d) r.outer *= a.shape()[i];
    else if (i == d) r.D = a.shape()[i];
    else r.inner *= a.shape()[i];
  }
  *d_out = d;
  return r;
}

// a's shape with dim d set to n (keepdim) or removed (a 0-d tensor stays 0-d).
Shape reduced_shape(const Shape& s, int64_t d, int64_t n, bool keep) {
  Shape out = s;
  if (out.empty()) return out;
  if (keep) out[d] = n;
  else out.erase(out.begin() + d);
  return out;
}

// da (outer, D, inner) = zeros, plus dy (outer, k, inner) added at the picked positions idx (outer, k, inner).
template <class T>
Tensor scatter_back(const Tensor& dy, const Tensor& idx, const Shape& a_shape, const Around& r, int64_t k) {
  Tensor da = zeros(a_shape, dy.dtype());
  const T* g = dy.data_ptr<T>();
  const int64_t* ix = idx.data_ptr<int64_t>();
  T* out = da.data_ptr<T>();
  for (int64_t o = 0; o < r.outer; ++o)
    for (int64_t j = 0; j < k; ++j)
      for (int64_t i = 0; i < r.inner; ++i) {
        const int64_t at = (o * k + j) * r.inner + i;
        out[(o * r.D + ix[at]) * r.inner + i] += g[at];
      }
  return da;
}

template <class T> bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(x);
  else return false;
}
// true when x ranks before y for "largest first": NaN is the largest (as PyTorch), ties keep order.
template <class T> bool greater(T x, T y) { return (is_nan(x) && !is_nan(y)) || x > y; }

// max and topk order floating-point, int64 and int32 values, as PyTorch; bool is refused naming the op.
void check_orderable(const char* op, const Tensor& a) {
  if (!a.defined())
    throw std::invalid_argument(std::string(op) + ": the input is an undefined tensor; expected a floating-point, "
                                "int64 or int32 tensor");
  if (a.dtype() == kBool)
    throw std::invalid_argument(std::string(op) + ": expected a floating-point, int64 or int32 tensor, got bool of "
                                "shape " + shape_str(a.shape()));
}
}  // namespace

// values = the max along dim, indices = its first position (NaN wins). dvalues goes to that position.
// A 0-d tensor has the one dim 0 (or -1) of size 1, as PyTorch.
template <class T>
static std::tuple<Tensor, Tensor> max_of(const char* op, const Tensor& a_in, int64_t dim, bool keepdim) {
  const Tensor a = a_in.contiguous();
  int64_t d = 0;
  const Around r = around(op, a, dim, &d);
  if (r.D == 0)
    throw std::invalid_argument(std::string(op) + ": dim " + std::to_string(dim) + " of shape " + shape_str(a.shape()) +
                                " has size 0; there is no maximum");
  const Shape kept = reduced_shape(a.shape(), d, 1, true);
  Tensor values = empty(kept, a.dtype()), indices = empty(kept, kInt64);
  const T* x = a.data_ptr<T>();
  T* v = values.data_ptr<T>();
  int64_t* ix = indices.data_ptr<int64_t>();
  for (int64_t o = 0; o < r.outer; ++o)
    for (int64_t i = 0; i < r.inner; ++i) {
      const T* col = x + o * r.D * r.inner + i;  // seek to column (o, :, i), stride inner
      int64_t best = 0;
      for (int64_t j = 1; j < r.D; ++j)
        if (greater(col[j * r.inner], col[best * r.inner]) && !is_nan(col[best * r.inner])) best = j;
      v[o * r.inner + i] = col[best * r.inner];
      ix[o * r.inner + i] = best;
    }
  const Shape out_shape = reduced_shape(a.shape(), d, 1, keepdim);
  values = detail::reshaped_result(values, out_shape);
  indices = detail::reshaped_result(indices, out_shape);
  if constexpr (std::is_floating_point_v<T>)
    record(values, "max", {a}, [a, indices, r](const Tensor& dy) {
      accumulate_grad(a, scatter_back<T>(dy, indices, a.shape(), r, 1));
    }, Saved::Nothing);
  return {values, indices};
}

// float32, float64, int64 and int32 natively, float16 and bfloat16 through float32 (exactly: the max is one of
// the values).
static std::tuple<Tensor, Tensor> max_along(const char* op, const Tensor& a, int64_t dim, bool keepdim) {
  check_orderable(op, a);
  if (a.dtype() == kFloat16 || a.dtype() == kBFloat16) {
    auto [v, i] = max_along(op, a.to(kFloat32), dim, keepdim);
    return {v.to(a.dtype()), i};
  }
  if (a.dtype() == kFloat64) return max_of<double>(op, a, dim, keepdim);
  if (a.dtype() == kInt64) return max_of<int64_t>(op, a, dim, keepdim);
  if (a.dtype() == kInt32) return max_of<int32_t>(op, a, dim, keepdim);
  return max_of<float>(op, a, dim, keepdim);
}

std::tuple<Tensor, Tensor> max(const Tensor& a, int64_t dim, bool keepdim) { return max_along("max", a, dim, keepdim); }

Tensor argmax(const Tensor& a, int64_t dim, bool keepdim) {
  NoGradGuard no_grad;  // indices only
  return std::get<1>(max_along("argmax", a, dim, keepdim));
}

// The k largest along dim, largest first, ties by lower index. dvalues goes back to the picked positions.
// A 0-d tensor, as PyTorch: k may be 0 or 1, and either gives the element itself (0-d) and index 0.
template <class T> static std::tuple<Tensor, Tensor> topk_of(const Tensor& a_in, int64_t k, int64_t dim) {
  const Tensor a = a_in.contiguous();
  int64_t d = 0;
  const Around r = around("topk", a, dim, &d);
  if (k < 0 || k > r.D)
    throw std::out_of_range("topk: k " + std::to_string(k) + " is out of range for dim " + std::to_string(dim) +
                            " of size " + std::to_string(r.D) + " (expected k in [0, " + std::to_string(r.D) + "])");
  const int64_t kk = a.dim() == 0 ? 1 : k;  // the positions written per column
  const Shape out_shape = reduced_shape(a.shape(), d, k, true);
  Tensor values = empty(out_shape, a.dtype()), indices = empty(out_shape, kInt64);
  const T* x = a.data_ptr<T>();
  T* v = values.data_ptr<T>();
  int64_t* ix = indices.data_ptr<int64_t>();
  std::vector<int64_t> order(static_cast<size_t>(r.D));
  for (int64_t o = 0; o < r.outer; ++o)
    for (int64_t i = 0; i < r.inner; ++i) {
      const T* col = x + o * r.D * r.inner + i;  // seek to column (o, :, i), stride inner
      std::iota(order.begin(), order.end(), int64_t{0});
      std::partial_sort(order.begin(), order.begin() + kk, order.end(), [&](int64_t p, int64_t q) {
        const T xp = col[p * r.inner], xq = col[q * r.inner];
        return greater(xp, xq) || (!greater(xq, xp) && p < q);
      });
      for (int64_t j = 0; j < kk; ++j) {
        v[(o * kk + j) * r.inner + i] = col[order[j] * r.inner];
        ix[(o * kk + j) * r.inner + i] = order[j];
      }
    }
  if constexpr (std::is_floating_point_v<T>)
    record(values, "topk", {a}, [a, indices, r, kk](const Tensor& dy) {
      accumulate_grad(a, scatter_back<T>(dy, indices, a.shape(), r, kk));
    }, Saved::Nothing);
  return {values, indices};
}

std::tuple<Tensor, Tensor> topk(const Tensor& a, int64_t k, int64_t dim) {
  check_orderable("topk", a);
  if (a.dtype() == kFloat16 || a.dtype() == kBFloat16) {
    auto [v, i] = topk(a.to(kFloat32), k, dim);
    return {v.to(a.dtype()), i};
  }
  if (a.dtype() == kFloat64) return topk_of<double>(a, k, dim);
  if (a.dtype() == kInt64) return topk_of<int64_t>(a, k, dim);
  if (a.dtype() == kInt32) return topk_of<int32_t>(a, k, dim);
  return topk_of<float>(a, k, dim);
}

// Draws num_samples category indices from each row of weights (probs need not sum to 1). Without replacement
// each draw removes its category. Validated whole before anything is drawn.
Tensor multinomial(const Tensor& probs_in, int64_t num_samples, bool replacement) {
  detail::check_float("multinomial", probs_in);
  const Tensor probs = probs_in.contiguous();
  if (probs.dim() != 1 && probs.dim() != 2)
    throw std::invalid_argument("multinomial: probs must be 1-d (C) or 2-d (R, C), got shape " + shape_str(probs.shape()));
  const int64_t C = probs.shape().back(), R = probs.dim() == 2 ? probs.shape()[0] : 1;
  if (num_samples <= 0)
    throw std::invalid_argument("multinomial: num_samples " + std::to_string(num_samples) + " must be positive");
  if (!replacement && num_samples > C)
    throw std::invalid_argument("multinomial: cannot draw " + std::to_string(num_samples) + " samples from " +
                                std::to_string(C) + " categories without replacement");
  const float* p = probs.data_ptr<float>();
  for (int64_t row = 0; row < R; ++row) {
    double total = 0.0;
    int64_t positive = 0;
    for (int64_t c = 0; c < C; ++c) {
      const float w = p[row * C + c];
      if (!std::isfinite(w) || w < 0.0f)
        throw std::invalid_argument("multinomial: probability " + std::to_string(w) + " at row " + std::to_string(row) +
                                    ", category " + std::to_string(c) + " is not a finite non-negative number");
      total += w;
      positive += w > 0.0f;
    }
    if (!(total > 0.0))
      throw std::invalid_argument("multinomial: row " + std::to_string(row) + " of probs sums to 0 (expected a positive sum)");
    if (!replacement && positive < num_samples)
      throw std::invalid_argument("multinomial: row " + std::to_string(row) + " has " + std::to_string(positive) +
                                  " non-zero categories, fewer than the " + std::to_string(num_samples) +
                                  " samples asked for without replacement");
  }
  Shape out_shape{num_samples};
  if (probs.dim() == 2) out_shape = {R, num_samples};
  Tensor out = empty(out_shape, kInt64);
  int64_t* o = out.data_ptr<int64_t>();
  std::vector<double> w(static_cast<size_t>(C));
  GeneratorGuard lock;  // the draws are one run of the global generator's sequence
  for (int64_t row = 0; row < R; ++row) {
    for (int64_t c = 0; c < C; ++c) w[c] = p[row * C + c];
    for (int64_t s = 0; s < num_samples; ++s) {
      double total = 0.0;
      for (double x : w) total += x;
      // the first category whose running sum passes u * total; never one of weight 0
      const double u = random_uniform() * total;
      double run = 0.0;
      int64_t pick = -1;
      for (int64_t c = 0; c < C; ++c) {
        if (w[c] <= 0.0) continue;
        pick = c;
        run += w[c];
        if (u < run) break;
      }
      o[row * num_samples + s] = pick;
      if (!replacement) w[pick] = 0.0;
    }
  }
  return out;
}

}  // namespace microtorch
