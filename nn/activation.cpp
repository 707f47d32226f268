// F::gelu (exact and tanh), F::logsigmoid and F::softmax. Elementwise, forward beside backward, the derivative
// formulas as PyTorch's CPU kernels write them (float arithmetic; tanh is core's vectorizable fast_tanh, <= 2 ulp).
#include <algorithm>
#include <cmath>

#include "../core/autograd.h"
#include "../core/fastmath.h"
#include "../core/grad.h"
#include "../core/ops.h"
#include "functional.h"

namespace microtorch::nn::functional {

static void check_float(const char* op, const Tensor& x) {
  if (x.dtype() != kFloat32) throw std::invalid_argument(std::string(op) + ": input must be float32, got " + dtype_name(x.dtype()));
}

// y = f(x) elementwise; the backward is dx += dy * fprime(x). fprime reads the saved input only.
template <class Fwd, class Deriv>
static Tensor elementwise(const char* op, const Tensor& x, Fwd f, Deriv fprime) {
  check_float(op, x);
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

// exact: y = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)); y' = Phi(x) + x phi(x).
// tanh: y = 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3); y' = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) u'.
Tensor gelu(const Tensor& x, const GELUFuncOptions& o) {
  constexpr float kAlpha = 0.70710678118654752f;  // 1 / sqrt(2)
  constexpr float kPhi = 0.39894228040143268f;    // 1 / sqrt(2 pi)
  constexpr float kBeta = 0.79788456080286536f;   // sqrt(2 / pi)
  constexpr float kKappa = 0.044715f;
  if (o.approximate() == "none")
    return elementwise(
        "gelu", x, [=](float v) { return v * 0.5f * (1.0f + std::erf(v * kAlpha)); },
        [=](float v) { return 0.5f * (1.0f + std::erf(v * kAlpha)) + v * kPhi * std::exp(-0.5f * v * v); });
  if (o.approximate() == "tanh")
    return elementwise(
        "gelu_tanh", x, [=](float v) { return 0.5f * v * (1.0f + detail::fast_tanh(kBeta * (v + kKappa * v * v * v))); },
        [=](float v) {
          const float t = detail::fast_tanh(kBeta * (v + kKappa * v * v * v));
          return 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * kBeta * (1.0f + 3.0f * kKappa * v * v);
        });
  throw std::invalid_argument("gelu: approximate must be \"none\" or \"tanh\", got \"" + o.approximate() + "\"");
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
