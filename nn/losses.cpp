// The regression and binary losses of loss.h. mse, l1 and the logits form of the binary cross-entropy are
// composed from ops; binary_cross_entropy on probabilities has its own elementwise op (below), because its
// clamped logs and PyTorch's gradient formula stay finite at a probability of exactly 0 or 1, where the
// composed logs would give inf * 0.
#include <algorithm>
#include <cmath>

#include "../core/autograd.h"
#include "../core/grad.h"
#include "../core/ops.h"
#include "loss.h"

namespace microtorch::nn::functional {

Tensor reduce_loss(const Tensor& losses, Reduction reduction) {
  if (reduction == kSum) return losses.sum();
  if (reduction == kMean) return losses.mean();
  return losses;
}

static void check_float(const char* op, const char* what, const Tensor& t) {
  if (t.dtype() != kFloat32)
    throw std::invalid_argument(std::string(op) + ": " + what + " must be float32, got " + dtype_name(t.dtype()) +
                                " of shape " + shape_str(t.shape()));
}

Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& o) {
  const Tensor d = input - target;
  return reduce_loss(d * d, o.reduction());
}

Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossFuncOptions& o) {
  return reduce_loss(abs(input - target), o.reduction());
}

// y = -(t max(log x, -100) + (1 - t) max(log(1 - x), -100)) elementwise, PyTorch's CPU formula.
// dx += dy (x - t) / max((1 - x) x, 1e-12); dt += dy (log(1 - x) - log(x)) (PyTorch's target gradient).
static Tensor bce_elements(const Tensor& x, const Tensor& t) {
  Tensor y = empty(x.shape());
  const float *xp = x.data_ptr<float>(), *tp = t.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  for (int64_t i = 0; i < x.numel(); ++i)
    yp[i] = (tp[i] - 1.0f) * std::max(std::log1p(-xp[i]), -100.0f) - tp[i] * std::max(std::log(xp[i]), -100.0f);
  record(y, "binary_cross_entropy", {x, t}, [x, t](const Tensor& dy) {
    const float *xp = x.data_ptr<float>(), *tp = t.data_ptr<float>(), *g = dy.data_ptr<float>();
    if (x.requires_grad()) {
      Tensor dx = empty(x.shape());
      float* d = dx.data_ptr<float>();
      for (int64_t i = 0; i < x.numel(); ++i)
        d[i] = g[i] * (xp[i] - tp[i]) / std::max((1.0f - xp[i]) * xp[i], 1e-12f);
      accumulate_grad(x, dx);
    }
    if (t.requires_grad()) {
      Tensor dt = empty(t.shape());
      float* d = dt.data_ptr<float>();
      for (int64_t i = 0; i < t.numel(); ++i) d[i] = g[i] * (std::log1p(-xp[i]) - std::log(xp[i]));
      accumulate_grad(t, dt);
    }
  });
  return y;
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const BinaryCrossEntropyFuncOptions& o) {
  check_float("binary_cross_entropy", "input", input);
  check_float("binary_cross_entropy", "target", target);
  if (target.shape() != input.shape())
    throw std::invalid_argument("binary_cross_entropy: target of shape " + shape_str(target.shape()) +
                                " must have the input's shape " + shape_str(input.shape()));
  const float* x = input.data_ptr<float>();
  for (int64_t i = 0; i < input.numel(); ++i)
    if (!(x[i] >= 0.0f && x[i] <= 1.0f))
      throw std::invalid_argument("binary_cross_entropy: input " + std::to_string(x[i]) + " at flat position " +
                                  std::to_string(i) + " is not a probability in [0, 1] (use the _with_logits form)");
  Tensor losses = bce_elements(input, target);
  if (o.weight().defined()) losses = losses * o.weight();
  return reduce_loss(losses, o.reduction());
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BinaryCrossEntropyWithLogitsFuncOptions& o) {
  check_float("binary_cross_entropy_with_logits", "input", input);
  check_float("binary_cross_entropy_with_logits", "target", target);
  if (target.shape() != input.shape())
    throw std::invalid_argument("binary_cross_entropy_with_logits: target of shape " + shape_str(target.shape()) +
                                " must have the input's shape " + shape_str(input.shape()));
  // log(1 + exp(-x)) as m + log(exp(-m) + exp(-x - m)), m = max(-x, 0): no overflow for large |x|
  const Tensor m = relu(-input);
  const Tensor softplus_neg = log(exp(-m) + exp(-input - m)) + m;
  Tensor losses = (1.0f - target) * input;
  if (o.pos_weight().defined()) losses = losses + ((o.pos_weight() - 1.0f) * target + 1.0f) * softplus_neg;
  else losses = losses + softplus_neg;
  if (o.weight().defined()) losses = losses * o.weight();
  return reduce_loss(losses, o.reduction());
}

}  // namespace microtorch::nn::functional
