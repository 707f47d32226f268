// Normalization layers: LayerNorm (layer_norm.h) and BatchNorm1d, as PyTorch's.
//   mt::nn::BatchNorm1d bn(mt::nn::BatchNorm1dOptions(C).eps(1e-5).momentum(0.1));
//   mt::Tensor y = bn(x);   // x (N, C) or (N, C, L): each channel normalised over the batch (and L)
// In train(), each channel is normalised by the batch's mean and biased variance, and the buffers move towards
// them: running_mean = (1 - momentum) running_mean + momentum mean, the same for running_var with the unbiased
// variance; num_batches_tracked (0-d int64) counts the batches. In eval() the running statistics are used.
#pragma once
#include <optional>

#include "functional.h"
#include "layer_norm.h"
#include "module.h"

namespace microtorch::nn {
namespace functional {

struct BatchNormFuncOptions {
  /// Per-channel scale (C); undefined (the default): none.
  MICROTORCH_ARG(Tensor, weight);
  /// Per-channel shift (C); undefined (the default): none.
  MICROTORCH_ARG(Tensor, bias);
  /// true: normalise by the batch's statistics (and update the running ones if given); false: by the
  /// running statistics.
  MICROTORCH_ARG(bool, training) = false;
  /// Weight of the batch's statistics in the running ones.
  MICROTORCH_ARG(double, momentum) = 0.1;
  /// Added to the variance before the square root.
  MICROTORCH_ARG(double, eps) = 1e-5;
};

// x (N, C) or (N, C, L) float32 -> same shape, y = (x - mean) / sqrt(var + eps) * weight + bias per channel.
// training: mean and biased var of the batch (N * L values per channel, more than one), and running_mean /
// running_var (C), when defined, are updated in place (no gradient); else the running statistics are used
// and must be defined. One op with its own backward (x, weight and bias).
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormFuncOptions& options = {});

}  // namespace functional

struct BatchNorm1dOptions {
  BatchNorm1dOptions(int64_t num_features) : num_features_(num_features) {}
  /// C, the channels (features) of an (N, C) or (N, C, L) input.
  MICROTORCH_ARG(int64_t, num_features);
  /// Added to the variance before the square root.
  MICROTORCH_ARG(double, eps) = 1e-5;
  /// Weight of each batch in the running statistics; nullopt: their plain average over every batch so far
  /// (1 / num_batches_tracked), as PyTorch's momentum=None.
  MICROTORCH_ARG(std::optional<double>, momentum) = 0.1;
  /// Learn a per-channel weight (ones) and bias (zeros).
  MICROTORCH_ARG(bool, affine) = true;
  /// Keep running statistics for eval(). Without them eval() normalises by the batch too.
  MICROTORCH_ARG(bool, track_running_stats) = true;
};

class BatchNorm1d : public Module {
 public:
  explicit BatchNorm1d(const BatchNorm1dOptions& options);
  BatchNorm1d(const BatchNorm1d&) = default;          // the same module: the fields name the same slots
  BatchNorm1d& operator=(const BatchNorm1d& other);  // other's tensors, mode and options into this module
  void reset();               // weight ones, bias zeros, and reset_running_stats()
  void reset_running_stats();  // running_mean zeros, running_var ones, num_batches_tracked 0
  Tensor forward(const Tensor& x);  // (N, C) or (N, C, L) -> same shape
  Tensor operator()(const Tensor& x) { return forward(x); }
  const BatchNorm1dOptions& options() const { return options_; }

  Tensor& weight;               // (C) parameter, undefined without affine
  Tensor& bias;                 // (C) parameter, undefined without affine
  Tensor& running_mean;         // (C) buffer, undefined without track_running_stats
  Tensor& running_var;          // (C) buffer
  Tensor& num_batches_tracked;  // () int64 buffer

 private:
  BatchNorm1dOptions options_;
};

}  // namespace microtorch::nn
