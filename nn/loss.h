// Losses, as PyTorch's: the functional forms (F::cross_entropy is in functional.h) and the module forms.
//   F::nll_loss(log_probs, targets);                    F::mse_loss(x, y, F::MSELossFuncOptions(mt::kSum));
//   F::binary_cross_entropy(probs, y);                  F::binary_cross_entropy_with_logits(logits, y);
//   mt::nn::CrossEntropyLoss loss_fn(mt::nn::CrossEntropyLossOptions().label_smoothing(0.1));
//   mt::Tensor loss = loss_fn(logits, targets);
// Every loss takes a reduction: kMean (the default), kSum, or kNone (the per-element losses). Only the
// binary cross-entropy on probabilities has a backward of its own; the others are composed from ops.
#pragma once
#include "functional.h"
#include "module.h"

namespace microtorch::nn {
namespace functional {

struct NLLLossFuncOptions {
  /// Per-class weights (C); undefined (the default): all 1. The mean divides by the targets' summed weights.
  MICROTORCH_ARG(Tensor, weight);
  /// Targets equal to this contribute nothing and are not counted in the mean.
  MICROTORCH_ARG(int64_t, ignore_index) = -100;
  MICROTORCH_ARG(Reduction, reduction) = kMean;
};

// input (N, C) log-probabilities (or (N, C, d1, ...), or (C)), targets (N) int64 (or (N, d1, ...), or ()) ->
// -weight[t] * input[n, t] per target, reduced. A target outside [0, C) that is not ignore_index is
// std::invalid_argument naming it and its position.
Tensor nll_loss(const Tensor& input, const Tensor& targets, const NLLLossFuncOptions& options = {});

struct MSELossFuncOptions {
  MSELossFuncOptions(Reduction reduction = kMean) : reduction_(reduction) {}
  MICROTORCH_ARG(Reduction, reduction);
};
using L1LossFuncOptions = MSELossFuncOptions;

// (input - target)^2 and |input - target| elementwise (the shapes broadcast), reduced.
Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& options = {});
Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossFuncOptions& options = {});

struct BinaryCrossEntropyFuncOptions {
  /// Multiplies each element's loss; broadcast to the input's shape. Undefined (the default): 1.
  MICROTORCH_ARG(Tensor, weight);
  MICROTORCH_ARG(Reduction, reduction) = kMean;
};

// input: probabilities in [0, 1], target of the same shape -> -w (t log x + (1 - t) log(1 - x)) with each log
// clamped to >= -100 (as PyTorch: a 0 or 1 probability gives a finite loss); the gradient w (x - t) /
// max(x (1 - x), 1e-12). An input outside [0, 1] is std::invalid_argument.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const BinaryCrossEntropyFuncOptions& options = {});

struct BinaryCrossEntropyWithLogitsFuncOptions {
  /// Multiplies each element's loss; broadcast to the input's shape.
  MICROTORCH_ARG(Tensor, weight);
  /// Weight of the positive term, per class (broadcast over the last dim): > 1 raises recall.
  MICROTORCH_ARG(Tensor, pos_weight);
  MICROTORCH_ARG(Reduction, reduction) = kMean;
};

// binary_cross_entropy(sigmoid(input), target) computed stably from the logits (PyTorch's formula:
// (1 - t) x + l (log(1 + exp(-|x|)) + max(-x, 0)), l = 1 + (pos_weight - 1) t).
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BinaryCrossEntropyWithLogitsFuncOptions& options = {});

// losses reduced as asked: the mean or the sum (0-d), or losses itself (kNone).
Tensor reduce_loss(const Tensor& losses, Reduction reduction);

}  // namespace functional

using CrossEntropyLossOptions = functional::CrossEntropyFuncOptions;
using MSELossOptions = functional::MSELossFuncOptions;
using NLLLossOptions = functional::NLLLossFuncOptions;

// The module forms: options given once, forward(input, target).
class CrossEntropyLoss : public Module {
 public:
  explicit CrossEntropyLoss(const CrossEntropyLossOptions& options = {}) : options_(options) {}
  void reset() {}
  Tensor forward(const Tensor& logits, const Tensor& targets) {
    return functional::cross_entropy(logits, targets, options_);
  }
  Tensor operator()(const Tensor& logits, const Tensor& targets) { return forward(logits, targets); }
  const CrossEntropyLossOptions& options() const { return options_; }

 private:
  CrossEntropyLossOptions options_;
};

class MSELoss : public Module {
 public:
  explicit MSELoss(const MSELossOptions& options = {}) : options_(options) {}
  void reset() {}
  Tensor forward(const Tensor& input, const Tensor& target) { return functional::mse_loss(input, target, options_); }
  Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
  const MSELossOptions& options() const { return options_; }

 private:
  MSELossOptions options_;
};

class NLLLoss : public Module {
 public:
  explicit NLLLoss(const NLLLossOptions& options = {}) : options_(options) {}
  void reset() {}
  Tensor forward(const Tensor& input, const Tensor& targets) { return functional::nll_loss(input, targets, options_); }
  Tensor operator()(const Tensor& input, const Tensor& targets) { return forward(input, targets); }
  const NLLLossOptions& options() const { return options_; }

 private:
  NLLLossOptions options_;
};

}  // namespace microtorch::nn
