// F::gelu (exact and tanh), F::logsigmoid and F::softmax, and the GELU module's check (activation.h). Elementwise, forward beside backward, the derivative
// formulas as PyTorch's CPU kernels write them. float32 runs GELU's loops in core/kernels/gelu.cpp; float64
// runs the plain loops below on doubles; float16/bfloat16 run in float32 and are rounded back.
#include <algorithm>
#include <cmath>

#include "../core/autograd.h"
#include "../core/grad.h"
#include "../core/kernels/gelu.h"
#include "../core/ops.h"
#include "activation.h"
#include "functional.h"
#include "internal/dtypes.h"

namespace microtorch::nn::functional {

// y = f(x) elementwise in T (float or double); the backward is dx += dy * fprime(x), reading the saved input.
template <class T, class Fwd, class Deriv>
static Tensor elementwise(const char* op, const Tensor& x_in, Fwd f, Deriv fprime) {
  const Tensor x = x_in.contiguous();
  Tensor y = empty(x.shape(), x.dtype());
  const T* xp = x.data_ptr<T>();
  T* yp = y.data_ptr<T>();
  for (int64_t i = 0; i < x.numel(); ++i) yp[i] = f(xp[i]);
  record(y, op, {x}, [x, fprime](const Tensor& dy) {
    Tensor dx = empty(x.shape(), x.dtype());
    const T* xp = x.data_ptr<T>();
    const T* g = dy.data_ptr<T>();
    T* d = dx.data_ptr<T>();
    for (int64_t i = 0; i < x.numel(); ++i) d[i] = g[i] * fprime(xp[i]);
    accumulate_grad(x, dx);
  });
  return y;
}

// The plain GELU in T: exact y = x Phi(x), y' = Phi(x) + x phi(x); tanh form y = 0.5 x (1 + tanh(u)),
// u = sqrt(2/pi) (x + 0.044715 x^3), y' = 0.5 (1 + t) + 0.5 x (1 - t^2) u'. The float64 path.
template <class T> static Tensor gelu_plain(const char* op, const Tensor& x, bool exact) {
  const T sqrt1_2 = T(0.70710678118654752440), inv_sqrt_2pi = T(0.39894228040143267794);
  const T k = T(0.79788456080286535588), c = T(0.044715);  // sqrt(2/pi), the cubic's coefficient
  if (exact)
    return elementwise<T>(
        op, x, [=](T v) { return T(0.5) * v * (T(1) + std::erf(v * sqrt1_2)); },
        [=](T v) { return T(0.5) * (T(1) + std::erf(v * sqrt1_2)) + v * inv_sqrt_2pi * std::exp(T(-0.5) * v * v); });
  return elementwise<T>(
      op, x, [=](T v) { return T(0.5) * v * (T(1) + std::tanh(k * (v + c * v * v * v))); },
      [=](T v) {
        const T t = std::tanh(k * (v + c * v * v * v));
        return T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * k * (T(1) + T(3) * c * v * v);
      });
}

// exact: y = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)); dx += dy (Phi(x) + x phi(x)).
// tanh: y = 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3); dx += dy y'(x) (core/kernels/gelu.h).
// Both as contiguous vectorized loops over fastmath.h's erf / exp / tanh; the backward reads the saved input.
Tensor gelu(const Tensor& x_in, const GELUFuncOptions& o) {
  const bool exact = o.approximate() == "none";
  if (!exact && o.approximate() != "tanh")
    throw std::invalid_argument("gelu: approximate must be \"none\" or \"tanh\", got \"" + o.approximate() + "\"");
  const char* op = exact ? "gelu" : "gelu_tanh";
  internal::check_floating(op, "input", x_in);
  if (internal::is_half_kind(x_in.dtype())) return gelu(x_in.to(kFloat32), o).to(x_in.dtype());
  if (x_in.dtype() == kFloat64) return gelu_plain<double>(op, x_in, exact);
  const Tensor x = x_in.contiguous();
  Tensor y = empty(x.shape());
  (exact ? kernels::gelu_forward : kernels::gelu_tanh_forward)(x.data_ptr<float>(), y.data_ptr<float>(), x.numel());
  record(y, op, {x}, [x, exact](const Tensor& dy) {
    Tensor dx = empty(x.shape());
    (exact ? kernels::gelu_backward : kernels::gelu_tanh_backward)(x.data_ptr<float>(), dy.data_ptr<float>(),
                                                                    dx.data_ptr<float>(), x.numel());
    accumulate_grad(x, dx);
  });
  return y;
}

// y = min(x, 0) - log1p(exp(-|x|)) (no overflow for large |x|); y' = sigmoid(-x), with e = exp(-|x|):
// e / (1 + e) for x >= 0, 1 / (1 + e) for x < 0.
template <class T> static Tensor logsigmoid_plain(const Tensor& x) {
  return elementwise<T>(
      "logsigmoid", x, [](T v) { return std::min(v, T(0)) - std::log1p(std::exp(-std::fabs(v))); },
      [](T v) {
        const T e = std::exp(-std::fabs(v));
        return v >= T(0) ? e / (T(1) + e) : T(1) / (T(1) + e);
      });
}

Tensor logsigmoid(const Tensor& x) {
  internal::check_floating("logsigmoid", "input", x);
  if (internal::is_half_kind(x.dtype())) return logsigmoid(x.to(kFloat32)).to(x.dtype());
  return x.dtype() == kFloat64 ? logsigmoid_plain<double>(x) : logsigmoid_plain<float>(x);
}

Tensor softmax(const Tensor& x, const SoftmaxFuncOptions& o) { return microtorch::softmax(x, o.dim()); }

}  // namespace microtorch::nn::functional

namespace microtorch::nn {

GELU::GELU(const GELUOptions& o) : options_(o) {
  if (o.approximate() != "none" && o.approximate() != "tanh")
    throw std::invalid_argument("GELU: approximate must be \"none\" or \"tanh\", got \"" + o.approximate() + "\"");
}

}  // namespace microtorch::nn
