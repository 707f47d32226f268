// nn::Linear: y = x W^T + b with W (out, in), as PyTorch. Tie it to an embedding with
//   head.weight = emb.weight;   // one Parameter: its gradient is the sum of both uses
#pragma once
#include "functional.h"
#include "module.h"

namespace microtorch::nn {

struct LinearOptions {
  LinearOptions(int64_t in_features, int64_t out_features) : in_features_(in_features), out_features_(out_features) {}
  MICROTORCH_ARG(int64_t, in_features);
  MICROTORCH_ARG(int64_t, out_features);
  /// Learn an additive bias.
  MICROTORCH_ARG(bool, bias) = true;
  /// Use this (out, in) float32 tensor as the weight (shares its storage, as EmbeddingOptions::_weight) instead
  /// of a freshly initialised one: for a loader that fills the values itself.
  MICROTORCH_ARG(Tensor, _weight);
  /// The same for the (out) bias (with bias(true)).
  MICROTORCH_ARG(Tensor, _bias);
};

class Linear : public Module {
 public:
  explicit Linear(const LinearOptions& options);
  Linear(const Linear&) = default;          // the same module: weight and bias name the same slots
  Linear& operator=(const Linear& other);  // other's tensors, mode and options into this module (module.h)
  void reset();                          // PyTorch's default: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias
  Tensor forward(const Tensor& x) { return functional::linear(x, weight, bias); }  // (..., in) -> (..., out)
  Tensor operator()(const Tensor& x) { return forward(x); }
  const LinearOptions& options() const { return options_; }  // read-only: the weight was built from them

  Tensor& weight;  // (out, in), this module's "weight" slot: assign to tie it (head.weight = wte.weight)
  Tensor& bias;    // (out), undefined with .bias(false)

 private:
  LinearOptions options_;
};

}  // namespace microtorch::nn
