#include "linear.h"

#include "init.h"

namespace microtorch::nn {

Linear::Linear(const LinearOptions& o) : options_(o) {
  if (o.in_features() < 1 || o.out_features() < 1)
    throw std::invalid_argument("Linear: in_features and out_features must be >= 1, got (" +
                                std::to_string(o.in_features()) + ", " + std::to_string(o.out_features()) + ")");
  // A given tensor is adopted as it is (shares storage); a missing one is made and initialised as reset() does.
  auto adopt = [](const Tensor& given, const Shape& shape, const char* what) {
    if (given.shape() != shape || given.dtype() != kFloat32)
      throw std::invalid_argument(std::string("Linear: _") + what + " must be float32 of shape " + shape_str(shape) +
                                  ", got " + dtype_name(given.dtype()) + " of shape " + shape_str(given.shape()));
    return given.detach().requires_grad_(true);
  };
  const Shape w_shape{o.out_features(), o.in_features()}, b_shape{o.out_features()};
  if (o._weight().defined()) {
    weight = adopt(o._weight(), w_shape, "weight");
  } else {
    weight = empty(w_shape).requires_grad_(true);
    init::linear_default_(weight, o.in_features());
  }
  if (o.bias() && o._bias().defined()) {
    bias = adopt(o._bias(), b_shape, "bias");
  } else if (o.bias()) {
    bias = empty(b_shape).requires_grad_(true);
    init::linear_default_(bias, o.in_features());
  }
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
