// nn::init's scaled fills (init.h), as torch.nn.init: the fans of a weight (out, in, *kernel), the gain of a
// nonlinearity, and Kaiming's and Xavier's uniform and normal draws built on uniform_ and normal_.
#include <cmath>
#include <stdexcept>
#include <string>

#include "init.h"

namespace microtorch::nn::init {

double calculate_gain(Nonlinearity nonlinearity, double param) {
  switch (nonlinearity) {
    case kLinear: case kConv1D: case kConv2D: case kConv3D: case kSigmoid: return 1.0;
    case kTanh: return 5.0 / 3;
    case kReLU: return std::sqrt(2.0);
    case kLeakyReLU: return std::sqrt(2.0 / (1 + param * param));
    case kSELU: return 3.0 / 4;
  }
  return 1.0;
}

std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& t) {
  if (t.dim() < 2)
    throw std::invalid_argument("calculate_fan_in_and_fan_out: fan in and fan out cannot be computed for a tensor of "
                                "fewer than 2 dims, got shape " + shape_str(t.shape()));
  int64_t receptive_field = 1;
  for (int64_t d = 2; d < t.dim(); ++d) receptive_field *= t.shape()[d];
  return {t.shape()[1] * receptive_field, t.shape()[0] * receptive_field};
}

// gain / sqrt(fan): the std of both Kaiming fills, as PyTorch's (a tensor with no element: 0, nothing drawn).
static double kaiming_std(const Tensor& t, double a, FanMode mode, Nonlinearity nonlinearity) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
  const int64_t fan = mode == kFanIn ? fan_in : fan_out;
  return fan == 0 ? 0.0 : calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan));
}

Tensor kaiming_uniform_(Tensor t, double a, FanMode mode, Nonlinearity nonlinearity) {
  const double bound = std::sqrt(3.0) * kaiming_std(t, a, mode, nonlinearity);
  return uniform_(t, -bound, bound);
}

Tensor kaiming_normal_(Tensor t, double a, FanMode mode, Nonlinearity nonlinearity) {
  return normal_(t, 0.0, kaiming_std(t, a, mode, nonlinearity));
}

// gain * sqrt(2 / (fan_in + fan_out)): the std of both Xavier fills.
static double xavier_std(const Tensor& t, double gain) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
  return fan_in + fan_out == 0 ? 0.0 : gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
}

Tensor xavier_uniform_(Tensor t, double gain) {
  const double a = std::sqrt(3.0) * xavier_std(t, gain);
  return uniform_(t, -a, a);
}

Tensor xavier_normal_(Tensor t, double gain) { return normal_(t, 0.0, xavier_std(t, gain)); }

}  // namespace microtorch::nn::init
