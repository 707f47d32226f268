// F::nll_loss (loss.h), composed: each target's log-probability gathered along the class dim, times its
// weight, and 0 where the target is ignored (chosen by where, never a product with 0, so a -inf elsewhere in
// the row stays out, as in PyTorch). No backward of its own: gather's, the product's and where's. Runs in
// float32 and float64; float16/bfloat16 run in float32 and round back. A weight must have the input's dtype.
#include "../core/ops.h"
#include "internal/dtypes.h"
#include "loss.h"

namespace microtorch::nn::functional {

template <class T>
static Tensor nll_loss_picked(const Tensor& input, const Tensor& targets, const NLLLossFuncOptions& o, int64_t C);

Tensor nll_loss(const Tensor& input, const Tensor& targets, const NLLLossFuncOptions& o) {
  internal::check_floating("nll_loss", "input", input);
  if (input.dim() < 1)
    throw std::invalid_argument("nll_loss: input must be (N, C), (N, C, d1, ...) or (C), got " +
                                dtype_name(input.dtype()) + " of shape " + shape_str(input.shape()));
  const Shape& is = input.shape();
  const bool unbatched = input.dim() == 1;
  const int64_t C = unbatched ? is[0] : is[1];
  Shape want = unbatched ? Shape{} : Shape{is[0]};
  if (!unbatched) want.insert(want.end(), is.begin() + 2, is.end());
  if (targets.dtype() != kInt64 || targets.shape() != want)
    throw std::invalid_argument("nll_loss: targets must be int64 of shape " + shape_str(want) + " for input " +
                                shape_str(is) + ", got " + dtype_name(targets.dtype()) + " of shape " +
                                shape_str(targets.shape()));
  const Tensor& weight = o.weight();
  if (weight.defined() && weight.shape() != Shape{C})
    throw std::invalid_argument("nll_loss: weight must have shape [" + std::to_string(C) + "], got " +
                                dtype_name(weight.dtype()) + " of shape " + shape_str(weight.shape()));
  internal::check_same_dtype("nll_loss", "weight", weight, input.dtype());
  if (internal::is_half_kind(input.dtype())) {
    NLLLossFuncOptions o32 = o;
    o32.weight(internal::to_float32(weight));
    return nll_loss(input.to(kFloat32), targets, o32).to(input.dtype());
  }
  if (input.dtype() == kFloat64) return nll_loss_picked<double>(input, targets, o, C);
  return nll_loss_picked<float>(input, targets, o, C);
}

// Each target's weighted log-probability (targets' shape), reduced.
template <class T>
static Tensor nll_loss_picked(const Tensor& input, const Tensor& targets, const NLLLossFuncOptions& o, int64_t C) {
  // at: each target (0, a valid index, where ignored); scale: its weight (1 without one); kept: not ignored.
  // The kept weights' sum is the mean's divisor.
  const Tensor ts = targets.contiguous();
  const int64_t R = ts.numel();
  const int64_t* t = ts.data_ptr<int64_t>();
  Tensor at = zeros(ts.shape(), kInt64), scale = zeros(ts.shape(), input.dtype()), kept = zeros(ts.shape(), kBool);
  int64_t* a = at.data_ptr<int64_t>();
  T* s = scale.data_ptr<T>();
  bool* k = kept.data_ptr<bool>();
  const Tensor wc = o.weight().defined() ? o.weight().contiguous() : Tensor();
  const T* w = wc.defined() ? wc.data_ptr<T>() : nullptr;
  double total_weight = 0.0;
  for (int64_t r = 0; r < R; ++r) {
    if (t[r] == o.ignore_index()) continue;
    if (t[r] < 0 || t[r] >= C)
      throw std::invalid_argument("nll_loss: target " + std::to_string(t[r]) + " at position " + std::to_string(r) +
                                  " is outside [0, " + std::to_string(C) + ") and is not ignore_index " +
                                  std::to_string(o.ignore_index()));
    a[r] = t[r];
    s[r] = w ? w[t[r]] : T(1);
    k[r] = true;
    total_weight += s[r];
  }
  const int64_t class_dim = input.dim() == 1 ? 0 : 1;
  const Tensor picked = input.gather(class_dim, at.unsqueeze(class_dim)).sum(class_dim);  // input[.., t, ..]
  const Tensor losses = where(kept, -picked * scale, zeros({}, input.dtype()));          // targets' shape
  if (o.reduction() == kNone) return losses;
  if (o.reduction() == kSum) return losses.sum();
  return losses.sum() / static_cast<T>(total_weight);  // 0 / 0 = NaN when every target is ignored, as PyTorch
}

}  // namespace microtorch::nn::functional
