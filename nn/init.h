// nn::init: in-place fills drawn from the global generator (manual_seed), run under NoGradGuard.
// Each returns its argument, as torch::nn::init does.
#pragma once
#include <utility>

#include "../core/tensor.h"

namespace microtorch {

// Which fan a Kaiming init keeps the variance of: the forward pass's (fan_in) or the backward's (fan_out).
enum class FanMode { FanIn, FanOut };
constexpr FanMode kFanIn = FanMode::FanIn;
constexpr FanMode kFanOut = FanMode::FanOut;

// The nonlinearity an init's gain is for, as torch.nn.init.calculate_gain's names.
enum class Nonlinearity { Linear, Conv1D, Conv2D, Conv3D, Sigmoid, Tanh, ReLU, LeakyReLU, SELU };
constexpr Nonlinearity kLinear = Nonlinearity::Linear;
constexpr Nonlinearity kConv1D = Nonlinearity::Conv1D;
constexpr Nonlinearity kConv2D = Nonlinearity::Conv2D;
constexpr Nonlinearity kConv3D = Nonlinearity::Conv3D;
constexpr Nonlinearity kSigmoid = Nonlinearity::Sigmoid;
constexpr Nonlinearity kTanh = Nonlinearity::Tanh;
constexpr Nonlinearity kReLU = Nonlinearity::ReLU;
constexpr Nonlinearity kLeakyReLU = Nonlinearity::LeakyReLU;
constexpr Nonlinearity kSELU = Nonlinearity::SELU;

}  // namespace microtorch

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

// --- init_scaled.cpp: PyTorch's fan and gain rules ---
// The gain that keeps activations' variance through the nonlinearity: 1 (linear, conv, sigmoid), 5/3 (tanh),
// sqrt(2) (relu), sqrt(2 / (1 + slope^2)) (leaky relu, slope = param), 3/4 (selu).
double calculate_gain(Nonlinearity nonlinearity, double param = 0.01);
// (fan_in, fan_out) of a weight (out, in, *kernel): in * prod(kernel), out * prod(kernel). Fewer than 2 dims
// is std::invalid_argument.
std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& t);
// U(-b, b), b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a): Kaiming He et al. (2015).
Tensor kaiming_uniform_(Tensor t, double a = 0.0, FanMode mode = kFanIn, Nonlinearity nonlinearity = kLeakyReLU);
// N(0, std), std = gain / sqrt(fan).
Tensor kaiming_normal_(Tensor t, double a = 0.0, FanMode mode = kFanIn, Nonlinearity nonlinearity = kLeakyReLU);
// U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)): Glorot and Bengio (2010).
Tensor xavier_uniform_(Tensor t, double gain = 1.0);
// N(0, std), std = gain * sqrt(2 / (fan_in + fan_out)).
Tensor xavier_normal_(Tensor t, double gain = 1.0);

}  // namespace microtorch::nn::init
