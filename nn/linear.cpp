#include "linear.h"

#include "init.h"

namespace microtorch::nn {

Linear::Linear(const LinearOptions& o) : options_(o) {
  if (o.in_features() < 1 || o.out_features() < 1)
    throw std::invalid_argument("Linear: in_features and out_features must be >= 1, got (" +
                                std::to_string(o.in_features()) + ", " + std::to_string(o.out_features()) + ")");
  weight = empty({o.out_features(), o.in_features()}).requires_grad_(true);
  if (o.bias()) bias = empty({o.out_features()}).requires_grad_(true);
  reset();
  register_parameter("weight", weight);
  if (bias.defined()) register_parameter("bias", bias);
}

void Linear::reset() {
  init::linear_default_(weight, options_.in_features());
  if (bias.defined()) init::linear_default_(bias, options_.in_features());
}

void Linear::sync_parameters_() const {
  set_parameter_("weight", weight);
  set_parameter_("bias", bias);
}

}  // namespace microtorch::nn
