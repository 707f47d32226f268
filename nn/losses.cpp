// The regression and binary losses of loss.h. mse, l1 and the logits form of the binary cross-entropy are
// composed from ops; binary_cross_entropy on probabilities has its own elementwise op (below), because its
// clamped logs and PyTorch's gradient formula stay finite at a probability of exactly 0 or 1, where the
// composed logs would give inf * 0. It runs in float32 and float64 (a template over the plain loop), float16 and
// bfloat16 in float32; its input and target share one dtype, as PyTorch. The composed ones promote as their ops.
#include <algorithm>
#include <cmath>

#include "../core/autograd.h"
#include "../core/grad.h"
#include "../core/ops.h"
#include "internal/dtypes.h"
#include "loss.h"

namespace microtorch::nn::functional {

Tensor reduce_loss(const Tensor& losses, Reduction reduction) {
  if (reduction == kSum) return losses.sum();
  if (reduction == kMean) return losses.mean();
  return losses;
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
// x and t contiguous, of one dtype T.
template <class T> static Tensor bce_elements(const Tensor& x, const Tensor& t) {
  const T* in = x.data_ptr<T>();
  for (int64_t i = 0; i < x.numel(); ++i)  // every value checked before anything is written
    if (!(in[i] >= T(0) && in[i] <= T(1)))
      throw std::invalid_argument("binary_cross_entropy: input " + std::to_string(in[i]) + " at flat position " +
                                  std::to_string(i) + " is not a probability in [0, 1] (use the _with_logits form)");
  Tensor y = empty(x.shape(), x.dtype());
  const T *xp = x.data_ptr<T>(), *tp = t.data_ptr<T>();
  T* yp = y.data_ptr<T>();
  for (int64_t i = 0; i < x.numel(); ++i)
    yp[i] = (tp[i] - T(1)) * std::max(std::log1p(-xp[i]), T(-100)) - tp[i] * std::max(std::log(xp[i]), T(-100));
  record(y, "binary_cross_entropy", {x, t}, [x, t](const Tensor& dy) {
    const T *xp = x.data_ptr<T>(), *tp = t.data_ptr<T>(), *g = dy.data_ptr<T>();
    if (x.requires_grad()) {
      Tensor dx = empty(x.shape(), x.dtype());
      T* d = dx.data_ptr<T>();
      for (int64_t i = 0; i < x.numel(); ++i)
        d[i] = g[i] * (xp[i] - tp[i]) / std::max((T(1) - xp[i]) * xp[i], T(1e-12));
      accumulate_grad(x, dx);
    }
    if (t.requires_grad()) {
      Tensor dt = empty(t.shape(), t.dtype());
      T* d = dt.data_ptr<T>();
      for (int64_t i = 0; i < t.numel(); ++i) d[i] = g[i] * (std::log1p(-xp[i]) - std::log(xp[i]));
      accumulate_grad(t, dt);
    }
  });
  return y;
}

Tensor binary_cross_entropy(const Tensor& input_in, const Tensor& target_in, const BinaryCrossEntropyFuncOptions& o) {
  internal::check_floating("binary_cross_entropy", "input", input_in);
  internal::check_floating("binary_cross_entropy", "target", target_in);
  internal::check_same_dtype("binary_cross_entropy", "target", target_in, input_in.dtype());
  if (target_in.shape() != input_in.shape())
    throw std::invalid_argument("binary_cross_entropy: target of shape " + shape_str(target_in.shape()) +
                                " must have the input's shape " + shape_str(input_in.shape()));
  if (internal::is_half_kind(input_in.dtype())) {
    BinaryCrossEntropyFuncOptions o32 = o;
    o32.weight(internal::to_float32(o.weight()));
    return binary_cross_entropy(input_in.to(kFloat32), target_in.to(kFloat32), o32).to(input_in.dtype());
  }
  const Tensor input = input_in.contiguous(), target = target_in.contiguous();
  Tensor losses = input.dtype() == kFloat64 ? bce_elements<double>(input, target) : bce_elements<float>(input, target);
  if (o.weight().defined()) losses = losses * o.weight();
  return reduce_loss(losses, o.reduction());
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BinaryCrossEntropyWithLogitsFuncOptions& o) {
  internal::check_floating("binary_cross_entropy_with_logits", "input", input);
  internal::check_floating("binary_cross_entropy_with_logits", "target", target);
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
