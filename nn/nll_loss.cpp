// F::nll_loss (loss.h), composed: the rows of log-probabilities times a constant (R, C) table holding each
// row's target weight at its target's column, summed per row. No backward of its own: the product's.
#include "../core/ops.h"
#include "loss.h"

namespace microtorch::nn::functional {

Tensor nll_loss(const Tensor& input, const Tensor& targets, const NLLLossFuncOptions& o) {
  if (input.dtype() != kFloat32 || input.dim() < 1)
    throw std::invalid_argument("nll_loss: input must be float32 (N, C), (N, C, d1, ...) or (C), got " +
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
  if (weight.defined() && (weight.dtype() != kFloat32 || weight.shape() != Shape{C}))
    throw std::invalid_argument("nll_loss: weight must be float32 of shape [" + std::to_string(C) + "], got " +
                                dtype_name(weight.dtype()) + " of shape " + shape_str(weight.shape()));

  // picks (R, C): weight[t] at (r, t) for each target t that is not ignored; their sum is the mean's divisor
  const int64_t R = targets.numel();
  const int64_t* t = targets.data_ptr<int64_t>();
  Tensor picks = zeros({R, C});
  float* p = picks.data_ptr<float>();
  const float* w = weight.defined() ? weight.data_ptr<float>() : nullptr;
  double total_weight = 0.0;
  for (int64_t r = 0; r < R; ++r) {
    if (t[r] == o.ignore_index()) continue;
    if (t[r] < 0 || t[r] >= C)
      throw std::invalid_argument("nll_loss: target " + std::to_string(t[r]) + " at position " + std::to_string(r) +
                                  " is outside [0, " + std::to_string(C) + ") and is not ignore_index " +
                                  std::to_string(o.ignore_index()));
    p[r * C + t[r]] = w ? w[t[r]] : 1.0f;
    total_weight += w ? w[t[r]] : 1.0f;
  }

  // rows (R, C): the class dim moved last
  Tensor rows = input;
  if (input.dim() == 1) rows = input.view({1, C});
  if (input.dim() > 2) {
    Shape order{0};
    for (int64_t d = 2; d < input.dim(); ++d) order.push_back(d);
    order.push_back(1);
    rows = input.permute(order).reshape({R, C});
  }
  const Tensor losses = -(rows * picks).sum(1);  // (R): -weight[t] * input[r, t]
  if (o.reduction() == kNone) return losses.view(targets.shape());
  if (o.reduction() == kSum) return losses.sum();
  return losses.sum() / static_cast<float>(total_weight);  // 0 / 0 = NaN when every target is ignored, as PyTorch
}

}  // namespace microtorch::nn::functional
