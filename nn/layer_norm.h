// nn::LayerNorm: normalises each row over its trailing normalized_shape dims, then scales and shifts.
//   mt::nn::LayerNorm ln(mt::nn::LayerNormOptions({C}).eps(1e-5));
//   mt::Tensor y = ln(x);   // x (..., C) -> (..., C)
#pragma once
#include <vector>

#include "functional.h"
#include "module.h"

namespace microtorch::nn {

struct LayerNormOptions {
  LayerNormOptions(std::vector<int64_t> normalized_shape) : normalized_shape_(std::move(normalized_shape)) {}
  /// The trailing dims normalised over, e.g. {C}.
  MICROTORCH_ARG(std::vector<int64_t>, normalized_shape);
  /// Added to the variance before the square root.
  MICROTORCH_ARG(double, eps) = 1e-5;
  /// Learn a per-element weight (ones at init) and, with bias(true), a bias (zeros).
  MICROTORCH_ARG(bool, elementwise_affine) = true;
  /// With elementwise_affine: learn the bias too.
  MICROTORCH_ARG(bool, bias) = true;
};

class LayerNorm : public Module {
 public:
  explicit LayerNorm(const LayerNormOptions& options);
  LayerNorm(const LayerNorm&) = default;          // the same module: weight and bias name the same slots
  LayerNorm& operator=(const LayerNorm& other);  // other's tensors, mode and options into this module
  void reset();                      // weight ones, bias zeros
  Tensor forward(const Tensor& x);   // (..., *normalized_shape) -> same shape
  Tensor operator()(const Tensor& x) { return forward(x); }
  const LayerNormOptions& options() const { return options_; }

  Tensor& weight;  // normalized_shape, undefined without elementwise_affine
  Tensor& bias;    // normalized_shape, undefined without elementwise_affine or with bias(false)

 private:
  LayerNormOptions options_;
};

}  // namespace microtorch::nn
