// Activation modules, as libtorch's: stateless modules whose forward is the elementwise function, so they can
// sit in a Sequential. ReLU max(x, 0); Tanh; Sigmoid 1 / (1 + exp(-x)); GELU (exact, or tanh's approximation
// with GELUOptions().approximate("tanh")); Identity returns its input.
//   mt::nn::Sequential mlp(mt::nn::Linear(mt::nn::LinearOptions(3, 8)), mt::nn::GELU(), mt::nn::Linear(...));
#pragma once
#include <string>

#include "../core/ops.h"
#include "functional.h"
#include "module.h"

namespace microtorch::nn {

class ReLU : public Module {
 public:
  void reset() {}
  Tensor forward(const Tensor& x) { return relu(x); }
  Tensor operator()(const Tensor& x) { return forward(x); }
};

class Tanh : public Module {
 public:
  void reset() {}
  Tensor forward(const Tensor& x) { return tanh(x); }
  Tensor operator()(const Tensor& x) { return forward(x); }
};

class Sigmoid : public Module {
 public:
  void reset() {}
  Tensor forward(const Tensor& x) { return sigmoid(x); }
  Tensor operator()(const Tensor& x) { return forward(x); }
};

class Identity : public Module {
 public:
  void reset() {}
  Tensor forward(const Tensor& x) { return x; }
  Tensor operator()(const Tensor& x) { return forward(x); }
};

struct GELUOptions {
  /// "none": x Phi(x) with erf; "tanh": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
  MICROTORCH_ARG(std::string, approximate) = "none";
};

class GELU : public Module {
 public:
  explicit GELU(const GELUOptions& options = {});  // std::invalid_argument for another approximate
  void reset() {}
  Tensor forward(const Tensor& x) {
    return functional::gelu(x, functional::GELUFuncOptions().approximate(options_.approximate()));
  }
  Tensor operator()(const Tensor& x) { return forward(x); }
  const GELUOptions& options() const { return options_; }

 private:
  GELUOptions options_;
};

}  // namespace microtorch::nn
