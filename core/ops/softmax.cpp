// softmax and log_softmax over any dim, stable by subtracting the max along it. The input is seen as
// (outer, D, inner) around the dim. The last dim (inner = 1) is the fast path: contiguous rows (R, N)
// (softmax's in core/kernels/softmax_rows.cpp). Another dim runs the same steps on D strided rows at once,
// `inner` columns side by side.
#include <algorithm>
#include <cmath>
#include <vector>

#include "../autograd.h"
#include "../kernels/fastmath.h"
#include "../grad.h"
#include "../kernels/row_sums.h"
#include "../ops.h"
#include "../kernels/softmax_rows.h"
#include "dispatch.h"
#include "xt.h"

namespace microtorch {

namespace {
struct Around {  // a's shape seen as (outer, D, inner) around the softmax dim
  int64_t outer = 1, D = 1, inner = 1;
};
Around around_dim(const char* op, const Tensor& a, int64_t dim) {
  detail::check_floating(op, a);
  Around r;
  if (a.dim() == 0) {  // a 0-d tensor is one row of one element (dim -1 or 0), as PyTorch
    detail::wrap_dim(op, dim, 1);
    return r;
  }
  const int64_t d = detail::wrap_dim(op, dim, a.dim());
  for (int64_t i = 0; i < d; ++i) r.outer *= a.shape()[i];
  r.D = a.shape()[d];
  for (int64_t i = d + 1; i < a.dim(); ++i) r.inner *= a.shape()[i];
  return r;
}

float exp_of(float x) { return kernels::fast_exp(x); }
double exp_of(double x) { return std::exp(x); }

// y (outer, D, inner) = (log_)softmax of x along D, one block of D strided rows at a time (float32, or float64:
// its plain path for every dim).
template <class T> void softmax_strided(const T* x, T* y, const Around& r, bool take_log) {
  std::vector<T> mx(static_cast<size_t>(r.inner));
  std::vector<double> sum(static_cast<size_t>(r.inner));
  for (int64_t o = 0; o < r.outer; ++o) {
    const T* xb = x + o * r.D * r.inner;  // seek to block o: D rows of inner values
    T* yb = y + o * r.D * r.inner;
    std::fill(mx.begin(), mx.end(), -INFINITY);
    std::fill(sum.begin(), sum.end(), 0.0);
    for (int64_t d = 0; d < r.D; ++d)
      for (int64_t i = 0; i < r.inner; ++i) mx[i] = mx[i] < xb[d * r.inner + i] ? xb[d * r.inner + i] : mx[i];
    for (int64_t d = 0; d < r.D; ++d)
      for (int64_t i = 0; i < r.inner; ++i) {
        const T e = exp_of(xb[d * r.inner + i] - mx[i]);
        if (!take_log) yb[d * r.inner + i] = e;
        sum[i] += e;
      }
    for (int64_t d = 0; d < r.D; ++d)
      for (int64_t i = 0; i < r.inner; ++i) {
        T& out = yb[d * r.inner + i];
        if (take_log) out = (xb[d * r.inner + i] - mx[i]) - static_cast<T>(std::log(sum[i]));
        else out = static_cast<T>(out / sum[i]);
      }
  }
}

// da (outer, D, inner) from dy and y along D: softmax da = y (dy - sum(dy y)); log_softmax da = dy - exp(y) sum(dy).
template <class T> void softmax_backward_strided(const T* g, const T* y, T* da, const Around& r, bool take_log) {
  std::vector<T> acc(static_cast<size_t>(r.inner));
  for (int64_t o = 0; o < r.outer; ++o) {
    const size_t at = static_cast<size_t>(o * r.D * r.inner);  // seek to block o
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (int64_t d = 0; d < r.D; ++d)
      for (int64_t i = 0; i < r.inner; ++i) {
        const size_t k = at + static_cast<size_t>(d * r.inner + i);
        acc[i] += take_log ? g[k] : g[k] * y[k];
      }
    for (int64_t d = 0; d < r.D; ++d)
      for (int64_t i = 0; i < r.inner; ++i) {
        const size_t k = at + static_cast<size_t>(d * r.inner + i);
        da[k] = take_log ? g[k] - exp_of(y[k]) * acc[i] : y[k] * (g[k] - acc[i]);
      }
  }
}

// y = log_softmax(a) per row: a - max - log(sum(exp(a - max))). da += dy - exp(y) * sum(dy).
// The plain strided path in T (every dim for float64; another dim than the last for float32).
template <class T> Tensor softmax_plain(const char* op, const Tensor& a, const Around& shape, bool take_log) {
  Tensor y = empty(a.shape(), a.dtype());
  softmax_strided(a.data_ptr<T>(), y.data_ptr<T>(), shape, take_log);
  record(y, op, {a}, [a, y = y.detach(), shape, take_log](const Tensor& dy) {
    Tensor da = empty(a.shape(), a.dtype());
    softmax_backward_strided(dy.data_ptr<T>(), y.data_ptr<T>(), da.data_ptr<T>(), shape, take_log);
    accumulate_grad(a, da);
  }, Saved::Output);
  return y;
}

// softmax or log_softmax (take_log) over dim: float16 and bfloat16 computed in float32, float64 and a dim
// other than the last by softmax_plain, contiguous float32 rows by rows(a, R, N), which records the backward.
template <class Rows> Tensor softmax_over(const char* op, const Tensor& a_in, int64_t dim, bool take_log, Rows rows) {
  const Around shape = around_dim(op, a_in, dim);
  if (a_in.dtype() == kFloat16 || a_in.dtype() == kBFloat16)
    return softmax_over(op, a_in.to(kFloat32), dim, take_log, rows).to(a_in.dtype());
  const Tensor a = a_in.contiguous();
  if (a.dtype() == kFloat64) return softmax_plain<double>(op, a, shape, take_log);
  if (shape.inner != 1) return softmax_plain<float>(op, a, shape, take_log);
  return rows(a, shape.outer, shape.D);
}

}  // namespace

// y = log(softmax(a)) per row. da += dy - exp(y) * sum(dy).
Tensor log_softmax(const Tensor& a_in, int64_t dim) {
  return softmax_over("log_softmax", a_in, dim, true, [](const Tensor& a, int64_t R, int64_t N) {
    Tensor y = empty(a.shape());
    for (int64_t r = 0; r < R; ++r) {
      const float* x = a.data_ptr<float>() + r * N;  // seek to row r
      float* out = y.data_ptr<float>() + r * N;
      const float mx = kernels::max_of(x, N);
      const double s = kernels::sum_exp_shifted(x, N, mx);
      // (x - max) first: it is exact near the max, where mx + log(s) would round away log(s) for large x
      const float log_s = static_cast<float>(std::log(s));
      for (int64_t j = 0; j < N; ++j) out[j] = (x[j] - mx) - log_s;
    }
    record(y, "log_softmax", {a}, [a, y = y.detach(), R, N](const Tensor& dy) {
      Tensor da = empty(a.shape());
      for (int64_t r = 0; r < R; ++r) {
        const float* g = dy.data_ptr<float>() + r * N;
        const float* yr = y.data_ptr<float>() + r * N;
        float* d = da.data_ptr<float>() + r * N;
        const float gsum = static_cast<float>(kernels::sum_in_double(g, N));  // sum(dy), in lanes
        for (int64_t j = 0; j < N; ++j) d[j] = g[j] - kernels::fast_exp(yr[j]) * gsum;
      }
      accumulate_grad(a, da);
    }, Saved::Output);
    return y;
  });
}

// y = softmax(a) per row. da += y * (dy - sum(dy * y)).
Tensor softmax(const Tensor& a_in, int64_t dim) {
  return softmax_over("softmax", a_in, dim, false, [](const Tensor& a, int64_t R, int64_t N) {
    Tensor y = empty(a.shape());
    kernels::softmax_rows(a.data_ptr<float>(), y.data_ptr<float>(), R, N);
    record(y, "softmax", {a}, [a, y = y.detach(), R, N](const Tensor& dy) {
      Tensor da = empty(a.shape());
      kernels::softmax_backward_rows(y.data_ptr<float>(), dy.data_ptr<float>(), da.data_ptr<float>(), R, N);
      accumulate_grad(a, da);
    }, Saved::Output);
    return y;
  });
}

}  // namespace microtorch
