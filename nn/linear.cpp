#include "linear.h"

#include "init.h"

namespace microtorch::nn {

static Shape checked_weight_shape(const LinearOptions& o) {
  if (o.in_features() < 1 || o.out_features() < 1)
    throw std::invalid_argument("Linear: in_features and out_features must be >= 1, got (" +
                                std::to_string(o.in_features()) + ", " + std::to_string(o.out_features()) + ")");
  return {o.out_features(), o.in_features()};
}

// A given _weight or _bias is adopted as it is (shares its storage); a missing one is made here and
// initialised as reset() does.
static Tensor given_or_empty(const Tensor& given, const Shape& shape, const char* what) {
  if (!given.defined()) return empty(shape);
  if (given.shape() != shape || !given.is_floating_point())
    throw std::invalid_argument(std::string("Linear: _") + what + " must be floating point of shape " + shape_str(shape) +
                                ", got " + dtype_name(given.dtype()) + " of shape " + shape_str(given.shape()));
  return given.detach();
}

Linear::Linear(const LinearOptions& o)
    : weight(register_parameter("weight", given_or_empty(o._weight(), checked_weight_shape(o), "weight"))),
      bias(register_optional_parameter_("bias", o.bias() ? given_or_empty(o._bias(), {o.out_features()}, "bias")
                                                          : Tensor())),
      options_(o) {
  if (!o._weight().defined()) init::linear_default_(weight, o.in_features());
  if (bias.defined() && !o._bias().defined()) init::linear_default_(bias, o.in_features());
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
