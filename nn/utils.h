// nn::utils::clip_grad_norm_ and clip_grad_value_, as torch.nn.utils' (PyTorch 1.13):
//   double total = mt::nn::utils::clip_grad_norm_(model.parameters(), 1.0);
// total = the norm of the per-parameter gradient norms; every gradient is multiplied in place by
// min(max_norm / (total + 1e-6), 1). Works on every gradient mode without densifying: a sparse gradient's
// rows and a row-tracked gradient's touched rows are scaled where they are held (core/grad.h).
#pragma once
#include <initializer_list>
#include <vector>

#include "../core/tensor.h"

namespace microtorch::nn::utils {

// Returns the total norm before clipping (0 when no parameter has a gradient). norm_type > 0 or
// INFINITY, else std::invalid_argument; error_if_nonfinite: a NaN or Inf total is std::runtime_error,
// thrown before any gradient changes.
double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);
double clip_grad_norm_(std::initializer_list<Tensor> parameters, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);
double clip_grad_norm_(const Tensor& parameter, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

// Clamps every gradient in place to [-clip_value, clip_value] (clip_value >= 0, else std::invalid_argument), as
// torch.nn.utils.clip_grad_value_; a parameter without a gradient is skipped.
void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value);
void clip_grad_value_(std::initializer_list<Tensor> parameters, double clip_value);
void clip_grad_value_(const Tensor& parameter, double clip_value);

}  // namespace microtorch::nn::utils
