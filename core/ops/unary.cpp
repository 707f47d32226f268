// Elementwise tanh, relu, exp, log. Backward closures keep the output (detached: no cycle) or the input.
// tanh and exp run as plain loops over fastmath.h's vectorizable functions; relu and log through xtensor.
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>

#include "../autograd.h"
#include "../fastmath.h"
#include "../grad.h"
#include "../ops.h"
#include "xt.h"

namespace microtorch {
using detail::as_xt;

// y = tanh(a). da += dy * (1 - y^2).
Tensor tanh(const Tensor& a) {
  detail::check_float("tanh", a);
  Tensor y = empty(a.shape());
  const float* x = a.data_ptr<float>();
  float* out = y.data_ptr<float>();
  const int64_t n = a.numel();
  for (int64_t i = 0; i < n; ++i) out[i] = detail::fast_tanh(x[i]);
  record(y, "tanh", {a}, [a, y = y.detach()](const Tensor& dy) {
    Tensor da = empty(a.shape());
    const float* g = dy.data_ptr<float>();
    const float* yp = y.data_ptr<float>();
    float* d = da.data_ptr<float>();
    const int64_t n = da.numel();
    for (int64_t i = 0; i < n; ++i) d[i] = g[i] * (1.0f - yp[i] * yp[i]);
    accumulate_grad(a, da);
  });
  return y;
}

// y = max(a, 0). da += dy where a > 0.
Tensor relu(const Tensor& a) {
  detail::check_float("relu", a);
  Tensor y = empty(a.shape());
  auto xa = as_xt(a);
  auto xy = as_xt(y);
  xt::noalias(xy) = xt::maximum(xa, 0.0f);
  record(y, "relu", {a}, [a](const Tensor& dy) {
    Tensor da = empty(a.shape());
    auto xda = as_xt(da);
    xt::noalias(xda) = xt::where(as_xt(a) > 0.0f, as_xt(dy), 0.0f);
    accumulate_grad(a, da);
  });
  return y;
}

// y = exp(a). da += dy * y.
Tensor exp(const Tensor& a) {
  detail::check_float("exp", a);
  Tensor y = empty(a.shape());
  const float* x = a.data_ptr<float>();
  float* out = y.data_ptr<float>();
  const int64_t n = a.numel();
  for (int64_t i = 0; i < n; ++i) out[i] = detail::fast_exp(x[i]);
  record(y, "exp", {a}, [a, y = y.detach()](const Tensor& dy) { accumulate_grad(a, dy * y); });
  return y;
}

// y = log(a). da += dy / a.
Tensor log(const Tensor& a) {
  detail::check_float("log", a);
  Tensor y = empty(a.shape());
  auto xa = as_xt(a);
  auto xy = as_xt(y);
  xt::noalias(xy) = xt::log(xa);
  record(y, "log", {a}, [a](const Tensor& dy) { accumulate_grad(a, dy / a); });
  return y;
}

}  // namespace microtorch
