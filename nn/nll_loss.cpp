// F::nll_loss (loss.h), composed: the rows of log-probabilities times a constant (R, C) table holding each
// row's target weight at its target's column, summed per row. No backward of its own: the product's. Runs in
// float32 and float64; float16/bfloat16 run in float32 and round back. A weight must have the input's dtype.
#include "../core/ops.h"
#include "internal/dtypes.h"
#include "loss.h"

namespace microtorch::nn::functional {

template <class T>
static Tensor nll_loss_rows(const Tensor& input, const Tensor& targets, const NLLLossFuncOptions& o, int64_t C);

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
  if (input.dtype() == kFloat64) return nll_loss_rows<double>(input, targets, o, C);
  return nll_loss_rows<float>(input, targets, o, C);
}

// The (R, C) picks in T, then the weighted sum of the picked log-probabilities, reduced.
template <class T>
static Tensor nll_loss_rows(const Tensor& input, const Tensor& targets, const NLLLossFuncOptions& o, int64_t C) {
  const Tensor& weight = o.weight();

  // picks (R, C): weight[t] at (r, t) for each target t that is not ignored; their sum is the mean's divisor
  const int64_t R = targets.numel();
  const int64_t* t = targets.data_ptr<int64_t>();
  Tensor picks = zeros({R, C}, input.dtype());
  T* p = picks.data_ptr<T>();
  const Tensor wc = weight.defined() ? weight.contiguous() : weight;
  const T* w = weight.defined() ? wc.data_ptr<T>() : nullptr;
  double total_weight = 0.0;
  for (int64_t r = 0; r < R; ++r) {
    if (t[r] == o.ignore_index()) continue;
    if (t[r] < 0 || t[r] >= C)
      throw std::invalid_argument("nll_loss: target " + std::to_string(t[r]) + " at position " + std::to_string(r) +
                                  " is outside [0, " + std::to_string(C) + ") and is not ignore_index " +
                                  std::to_string(o.ignore_index()));
    p[r * C + t[r]] = w ? w[t[r]] : T(1);
    total_weight += w ? w[t[r]] : T(1);
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
  return losses.sum() / static_cast<T>(total_weight);  // 0 / 0 = NaN when every target is ignored, as PyTorch
}

}  // namespace microtorch::nn::functional
