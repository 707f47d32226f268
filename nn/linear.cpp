#include "linear.h"

#include "init.h"

namespace microtorch::nn {

static Shape checked_weight_shape(const LinearOptions& o) {
  if (o.in_features() < 1 || o.out_features() < 1)
    throw std::invalid_argument("Linear: in_features and out_features must be >= 1, got (" +
                                std::to_string(o.in_features()) + ", " + std::to_string(o.out_features()) + ")");
  return {o.out_features(), o.in_features()};
}

Linear::Linear(const LinearOptions& o)
    : weight(register_parameter("weight", empty(checked_weight_shape(o)))),
      bias(register_optional_parameter_("bias", o.bias() ? empty({o.out_features()}) : Tensor())),
      options_(o) {
  reset();
}

Linear& Linear::operator=(const Linear& other) {
  Module::operator=(other);
  options_ = other.options_;
  return *this;
}

void Linear::reset() {
  init::linear_default_(weight, options_.in_features());
  if (bias.defined()) init::linear_default_(bias, options_.in_features());
}

}  // namespace microtorch::nn
