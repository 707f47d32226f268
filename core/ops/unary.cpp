// Elementwise tanh, relu, exp, log, sqrt, rsqrt, pow, sigmoid, abs. Backward closures keep the output
// (detached: no cycle) or the input. relu and log go through xtensor; the others, forward and backward, are
// plain loops (map, map2 below), tanh, exp and sigmoid on fastmath.h's vectorizable functions. Gradients
// follow PyTorch's formulas, edge points included (abs'(0) = 0; pow's d/dx = e x^(e-1), infinite at 0 for e < 1).
#include <cmath>

#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>

#include "../autograd.h"
#include "../kernels/fastmath.h"
#include "../grad.h"
#include "../kernels/parallel.h"
#include "../ops.h"
#include "strided.h"
#include "xt.h"

namespace microtorch {
using detail::as_xt;

// out[i] = f(x[i]) over a float32 tensor of a's shape (not recorded). f is a lambda, inlined, so the loop
// vectorizes; large tensors are split across threads (each element written once: the same floats for any count).
// A dense input of any layout (a transposed one) runs as one flat loop, its output laid out as it.
template <class F> static Tensor map(const char* op, const Tensor& a_in, F f) {
  detail::check_float(op, a_in);
  const Tensor a = detail::is_dense(a_in) ? a_in : a_in.contiguous();
  Tensor y = detail::empty_like_layout(a, kFloat32);
  const float* x = a.data_ptr<float>();
  float* out = y.data_ptr<float>();
  kernels::parallel_for(0, a.numel(), kernels::kGrain, [&](int64_t lo, int64_t hi) {
    float* __restrict o = out;
    for (int64_t i = lo; i < hi; ++i) o[i] = f(x[i]);
  });
  return y;
}

// out[i] = f(u[i], v[i]) for two float32 tensors of one shape (not recorded); for backward closures. Two
// dense tensors of one layout run flat; otherwise both are made row-major first.
template <class F> static Tensor map2(const Tensor& u_in, const Tensor& v_in, F f) {
  const bool flat = detail::is_dense(u_in) && u_in.strides() == v_in.strides() && detail::is_dense(v_in);
  const Tensor u = flat ? u_in : u_in.contiguous(), v = flat ? v_in : v_in.contiguous();
  Tensor y = detail::empty_like_layout(u, kFloat32);
  const float *p = u.data_ptr<float>(), *q = v.data_ptr<float>();
  float* out = y.data_ptr<float>();
  kernels::parallel_for(0, u.numel(), kernels::kGrain, [&](int64_t lo, int64_t hi) {
    float* __restrict o = out;
    for (int64_t i = lo; i < hi; ++i) o[i] = f(p[i], q[i]);
  });
  return y;
}

// y = tanh(a). da += dy * (1 - y^2).
Tensor tanh(const Tensor& a) {
  Tensor y = map("tanh", a, [](float x) { return kernels::fast_tanh(x); });
  record(y, "tanh", {a}, [a, y = y.detach()](const Tensor& dy) {
    accumulate_grad(a, map2(dy, y, [](float g, float t) { return g * (1.0f - t * t); }));
  });
  return y;
}

// y = max(a, 0). da += dy where a > 0.
Tensor relu(const Tensor& a_in) {
  detail::check_float("relu", a_in);
  const Tensor a = a_in.contiguous();
  Tensor y = empty(a.shape());
  auto xa = as_xt(a);
  auto xy = as_xt(y);
  xt::noalias(xy) = xt::maximum(xa, 0.0f);
  record(y, "relu", {a}, [a](const Tensor& dy) {
    Tensor da = empty(a.shape());
    auto xda = as_xt(da);
    xt::noalias(xda) = xt::where(as_xt(a) > 0.0f, as_xt(dy.contiguous()), 0.0f);
    accumulate_grad(a, da);
  });
  return y;
}

// y = exp(a). da += dy * y.
Tensor exp(const Tensor& a) {
  Tensor y = map("exp", a, [](float x) { return kernels::fast_exp(x); });
  record(y, "exp", {a}, [a, y = y.detach()](const Tensor& dy) { accumulate_grad(a, dy * y); });
  return y;
}

// y = log(a). da += dy / a.
Tensor log(const Tensor& a_in) {
  detail::check_float("log", a_in);
  const Tensor a = a_in.contiguous();
  Tensor y = empty(a.shape());
  auto xa = as_xt(a);
  auto xy = as_xt(y);
  xt::noalias(xy) = xt::log(xa);
  record(y, "log", {a}, [a](const Tensor& dy) { accumulate_grad(a, dy / a); });
  return y;
}

// y = sqrt(a). da += dy / (2 y) (infinite at a = 0, as PyTorch).
Tensor sqrt(const Tensor& a) {
  Tensor y = map("sqrt", a, [](float x) { return std::sqrt(x); });
  record(y, "sqrt", {a}, [a, y = y.detach()](const Tensor& dy) {
    accumulate_grad(a, map2(dy, y, [](float g, float r) { return g / (2.0f * r); }));
  });
  return y;
}

// y = 1 / sqrt(a). da += -0.5 dy y^3.
Tensor rsqrt(const Tensor& a) {
  Tensor y = map("rsqrt", a, [](float x) { return 1.0f / std::sqrt(x); });
  record(y, "rsqrt", {a}, [a, y = y.detach()](const Tensor& dy) {
    accumulate_grad(a, map2(dy, y, [](float g, float r) { return -0.5f * g * (r * r * r); }));
  });
  return y;
}

// x^e for one element, with PyTorch's exact special cases (x*x for 2, sqrt for 0.5, ...).
static float pow_one(float x, double e) {
  if (e == 2.0) return x * x;
  if (e == 3.0) return x * x * x;
  if (e == 1.0) return x;
  if (e == 0.5) return std::sqrt(x);
  if (e == -0.5) return 1.0f / std::sqrt(x);
  if (e == -1.0) return 1.0f / x;
  if (e == -2.0) return 1.0f / (x * x);
  if (e == 0.0) return 1.0f;
  return std::pow(x, static_cast<float>(e));
}

// y = a^e. da += dy * (e * a^(e-1)); 0 when e = 0 (PyTorch's pow_backward).
Tensor pow(const Tensor& a, double exponent) {
  Tensor y = map("pow", a, [exponent](float x) { return pow_one(x, exponent); });
  record(y, "pow", {a}, [a, exponent](const Tensor& dy) {
    if (exponent == 0.0) return accumulate_grad(a, zeros(a.shape()));
    const float e = static_cast<float>(exponent);
    accumulate_grad(a, map2(dy, a, [e, exponent](float g, float x) { return g * (e * pow_one(x, exponent - 1.0)); }));
  });
  return y;
}

// y = 1 / (1 + exp(-a)). da += dy (1 - y) y.
Tensor sigmoid(const Tensor& a) {
  Tensor y = map("sigmoid", a, [](float x) { return 1.0f / (1.0f + kernels::fast_exp(-x)); });
  record(y, "sigmoid", {a}, [a, y = y.detach()](const Tensor& dy) {
    accumulate_grad(a, map2(dy, y, [](float g, float s) { return g * (1.0f - s) * s; }));
  });
  return y;
}

// y = |a|. da += dy sign(a), sign(0) = 0 (as PyTorch).
Tensor abs(const Tensor& a) {
  Tensor y = map("abs", a, [](float x) { return std::fabs(x); });
  record(y, "abs", {a}, [a](const Tensor& dy) {
    accumulate_grad(a, map2(dy, a, [](float g, float x) { return g * static_cast<float>((x > 0.0f) - (x < 0.0f)); }));
  });
  return y;
}

}  // namespace microtorch
