// softmax and log_softmax over the last dim, stable by subtracting each row's max. Rows are contiguous,
// so both run as plain loops over (R, N) with N the last dim.
#include <cmath>

#include "../autograd.h"
#include "../fastmath.h"
#include "../grad.h"
#include "../ops.h"
#include "xt.h"

namespace microtorch {

static void check_last_dim(const char* op, const Tensor& a, int64_t dim) {
  detail::check_float(op, a);
  if (a.dim() == 0 || (dim != -1 && dim != a.dim() - 1))
    throw std::invalid_argument(std::string(op) + ": only the last dim is supported, got dim " + std::to_string(dim) +
                                " for shape " + shape_str(a.shape()));
}

// y = log_softmax(a) per row: a - max - log(sum(exp(a - max))). da += dy - exp(y) * sum(dy).
Tensor log_softmax(const Tensor& a, int64_t dim) {
  check_last_dim("log_softmax", a, dim);
  const int64_t N = a.shape().back(), R = N == 0 ? 0 : a.numel() / N;
  Tensor y = empty(a.shape());
  for (int64_t r = 0; r < R; ++r) {
    const float* x = a.data_ptr<float>() + r * N;  // seek to row r
    float* out = y.data_ptr<float>() + r * N;
    const float mx = detail::max_of(x, N);
    const double s = detail::sum_exp_shifted(x, N, mx);
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
      float gsum = 0.0f;
      for (int64_t j = 0; j < N; ++j) gsum += g[j];
      for (int64_t j = 0; j < N; ++j) d[j] = g[j] - detail::fast_exp(yr[j]) * gsum;
    }
    accumulate_grad(a, da);
  });
  return y;
}

// y = softmax(a) per row. da += y * (dy - sum(dy * y)).
Tensor softmax(const Tensor& a, int64_t dim) {
  check_last_dim("softmax", a, dim);
  const int64_t N = a.shape().back(), R = N == 0 ? 0 : a.numel() / N;
  Tensor y = empty(a.shape());
  for (int64_t r = 0; r < R; ++r) {
    const float* x = a.data_ptr<float>() + r * N;  // seek to row r
    float* out = y.data_ptr<float>() + r * N;
    const float mx = detail::max_of(x, N);
    float s = 0.0f;
    for (int64_t j = 0; j < N; ++j) out[j] = detail::fast_exp(x[j] - mx);
    for (int64_t j = 0; j < N; ++j) s += out[j];
    for (int64_t j = 0; j < N; ++j) out[j] /= s;
  }
  record(y, "softmax", {a}, [a, y = y.detach(), R, N](const Tensor& dy) {
    Tensor da = empty(a.shape());
    for (int64_t r = 0; r < R; ++r) {
      const float* g = dy.data_ptr<float>() + r * N;
      const float* yr = y.data_ptr<float>() + r * N;
      float* d = da.data_ptr<float>() + r * N;
      float dot = 0.0f;
      for (int64_t j = 0; j < N; ++j) dot += g[j] * yr[j];
      for (int64_t j = 0; j < N; ++j) d[j] = yr[j] * (g[j] - dot);
    }
    accumulate_grad(a, da);
  });
  return y;
}

}  // namespace microtorch
