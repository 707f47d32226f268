// F::gelu (exact and tanh), F::logsigmoid and F::softmax, and the GELU module's check (activation.h). Elementwise, forward beside backward, the derivative
// formulas as PyTorch's CPU kernels write them (float arithmetic). GELU's loops are core/kernels/gelu.cpp.
#include <algorithm>
#include <cmath>

#include "../core/autograd.h"
#include "../core/grad.h"
#include "../core/kernels/gelu.h"
#include "../core/ops.h"
#include "activation.h"
#include "functional.h"

namespace microtorch::nn::functional {

static void check_float(const char* op, const Tensor& x) {
  if (x.dtype() != kFloat32) throw std::invalid_argument(std::string(op) + ": input must be float32, got " + dtype_name(x.dtype()));
}

// y = f(x) elementwise; the backward is dx += dy * fprime(x). fprime reads the saved input only.
template <class Fwd, class Deriv>
static Tensor elementwise(const char* op, const Tensor& x_in, Fwd f, Deriv fprime) {
  check_float(op, x_in);
  const Tensor x = x_in.contiguous();
  Tensor y = empty(x.shape());
  const float* xp = x.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  for (int64_t i = 0; i < x.numel(); ++i) yp[i] = f(xp[i]);
  record(y, op, {x}, [x, fprime](const Tensor& dy) {
    Tensor dx = empty(x.shape());
    const float* xp = x.data_ptr<float>();
    const float* g = dy.data_ptr<float>();
    float* d = dx.data_ptr<float>();
    for (int64_t i = 0; i < x.numel(); ++i) d[i] = g[i] * fprime(xp[i]);
    accumulate_grad(x, dx);
  });
  return y;
}

// exact: y = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)); dx += dy (Phi(x) + x phi(x)).
// tanh: y = 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3); dx += dy y'(x) (core/kernels/gelu.h).
// Both as contiguous vectorized loops over fastmath.h's erf / exp / tanh; the backward reads the saved input.
Tensor gelu(const Tensor& x_in, const GELUFuncOptions& o) {
  const bool exact = o.approximate() == "none";
  if (!exact && o.approximate() != "tanh")
    throw std::invalid_argument("gelu: approximate must be \"none\" or \"tanh\", got \"" + o.approximate() + "\"");
  const char* op = exact ? "gelu" : "gelu_tanh";
  check_float(op, x_in);
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
Tensor logsigmoid(const Tensor& x) {
  return elementwise(
      "logsigmoid", x, [](float v) { return std::min(v, 0.0f) - std::log1p(std::exp(-std::fabs(v))); },
      [](float v) {
        const float e = std::exp(-std::fabs(v));
        return v >= 0.0f ? e / (1.0f + e) : 1.0f / (1.0f + e);
      });
}

Tensor softmax(const Tensor& x, const SoftmaxFuncOptions& o) { return microtorch::softmax(x, o.dim()); }

}  // namespace microtorch::nn::functional

namespace microtorch::nn {

GELU::GELU(const GELUOptions& o) : options_(o) {
  if (o.approximate() != "none" && o.approximate() != "tanh")
    throw std::invalid_argument("GELU: approximate must be \"none\" or \"tanh\", got \"" + o.approximate() + "\"");
}

}  // namespace microtorch::nn
