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
  BatchNormFuncOptions& weight(const Tensor& v) { weight_ = v; return *this; }
  /// Per-channel shift (C); undefined (the default): none.
  BatchNormFuncOptions& bias(const Tensor& v) { bias_ = v; return *this; }
  /// true: normalise by the batch's statistics (and update the running ones if given); false (the default):
  /// by the running statistics.
  BatchNormFuncOptions& training(bool v) { training_ = v; return *this; }
  /// Weight of the batch's statistics in the running ones (default 0.1).
  BatchNormFuncOptions& momentum(double v) { momentum_ = v; return *this; }
  /// Added to the variance before the square root (default 1e-5).
  BatchNormFuncOptions& eps(double v) { eps_ = v; return *this; }
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }
  bool training() const { return training_; }
  double momentum() const { return momentum_; }
  double eps() const { return eps_; }

 private:
  Tensor weight_, bias_;
  bool training_ = false;
  double momentum_ = 0.1, eps_ = 1e-5;
};

// x (N, C) or (N, C, L) float32 -> same shape, y = (x - mean) / sqrt(var + eps) * weight + bias per channel.
// training: mean and biased var of the batch (N * L values per channel, more than one), and running_mean /
// running_var (C), when defined, are updated in place (no gradient); else the running statistics are used
// and must be defined. One op with its own backward (x, weight and bias).
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormFuncOptions& options = {});

}  // namespace functional

struct BatchNorm1dOptions {
  /// C, the channels (features) of an (N, C) or (N, C, L) input.
  BatchNorm1dOptions(int64_t num_features) : num_features_(num_features) {}
  /// Added to the variance before the square root (default 1e-5).
  BatchNorm1dOptions& eps(double v) { eps_ = v; return *this; }
  /// Weight of each batch in the running statistics (default 0.1); nullopt: their plain average over every
  /// batch so far (1 / num_batches_tracked), as PyTorch's momentum=None.
  BatchNorm1dOptions& momentum(std::optional<double> v) { momentum_ = v; return *this; }
  /// Learn a per-channel weight (ones) and bias (zeros); default true.
  BatchNorm1dOptions& affine(bool v) { affine_ = v; return *this; }
  /// Keep running statistics for eval(); default true. Without them eval() normalises by the batch too.
  BatchNorm1dOptions& track_running_stats(bool v) { track_running_stats_ = v; return *this; }
  int64_t num_features() const { return num_features_; }
  double eps() const { return eps_; }
  const std::optional<double>& momentum() const { return momentum_; }
  bool affine() const { return affine_; }
  bool track_running_stats() const { return track_running_stats_; }

 private:
  int64_t num_features_;
  double eps_ = 1e-5;
  std::optional<double> momentum_ = 0.1;
  bool affine_ = true, track_running_stats_ = true;
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
