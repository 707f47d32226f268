// nn::init: in-place fills drawn from the global generator (manual_seed), run under NoGradGuard.
// Each returns its argument, as torch::nn::init does.
#pragma once
#include "../core/tensor.h"

namespace microtorch::nn::init {

Tensor normal_(Tensor t, double mean = 0.0, double std = 1.0);
// N(mean, std) restricted to [a, b] by inverse-CDF sampling (as PyTorch): any window returns at once,
// values lie in [a, b]; the from-scratch recipe is mean 0, std 1, [-3, 3]. NaN/inf mean or std refused.
Tensor trunc_normal_(Tensor t, double mean = 0.0, double std = 1.0, double a = -2.0, double b = 2.0);
Tensor uniform_(Tensor t, double a = 0.0, double b = 1.0);
Tensor constant_(Tensor t, double value);
Tensor zeros_(Tensor t);
Tensor ones_(Tensor t);
// PyTorch's nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_features.
Tensor linear_default_(Tensor t, int64_t fan_in);

}  // namespace microtorch::nn::init
