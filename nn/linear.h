// nn::Linear: y = x W^T + b with W (out, in), as PyTorch. Tie it to an embedding with
//   head.weight = emb.weight;   // one Parameter: its gradient is the sum of both uses
#pragma once
#include "functional.h"
#include "module.h"

namespace microtorch::nn {

struct LinearOptions {
  LinearOptions(int64_t in_features, int64_t out_features) : in_(in_features), out_(out_features) {}
  /// Learn an additive bias (default true).
  LinearOptions& bias(bool v) { bias_ = v; return *this; }
  /// Use this (out, in) float32 tensor as the weight (shares its storage, as EmbeddingOptions::_weight) instead
  /// of a freshly initialised one: for a loader that fills the values itself.
  LinearOptions& _weight(const Tensor& w) { weight_ = w; return *this; }
  /// The same for the (out) bias (with bias(true)).
  LinearOptions& _bias(const Tensor& b) { bias_tensor_ = b; return *this; }
  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }
  bool bias() const { return bias_; }
  const Tensor& _weight() const { return weight_; }
  const Tensor& _bias() const { return bias_tensor_; }

 private:
  int64_t in_, out_;
  bool bias_ = true;
  Tensor weight_, bias_tensor_;
};

class Linear : public Module {
 public:
  explicit Linear(const LinearOptions& options);
  void reset();                          // PyTorch's default: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias
  Tensor forward(const Tensor& x) { return functional::linear(x, weight, bias); }  // (..., in) -> (..., out)
  Tensor operator()(const Tensor& x) { return forward(x); }
  const LinearOptions& options() const { return options_; }  // read-only: the weight was built from them

  Tensor weight;  // (out, in); may be reassigned (tying) before the module is registered
  Tensor bias;    // (out), undefined with .bias(false)

 protected:
  void sync_parameters_() const override;

 private:
  LinearOptions options_;
};

}  // namespace microtorch::nn
