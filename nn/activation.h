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

// What ReLU, Tanh, Sigmoid and Identity share: a stateless module whose forward is one elementwise function.
class Elementwise : public Module {
 public:
  void reset() {}
  Tensor forward(const Tensor& x) { return fn_(x); }
  Tensor operator()(const Tensor& x) { return forward(x); }

 protected:
  explicit Elementwise(Tensor (*fn)(const Tensor&)) : fn_(fn) {}

 private:
  Tensor (*fn_)(const Tensor&);
};

class ReLU : public Elementwise {
 public:
  ReLU() : Elementwise(microtorch::relu) {}
};

class Tanh : public Elementwise {
 public:
  Tanh() : Elementwise(microtorch::tanh) {}
};

class Sigmoid : public Elementwise {
 public:
  Sigmoid() : Elementwise(microtorch::sigmoid) {}
};

class Identity : public Elementwise {
 public:
  Identity() : Elementwise(same) {}

 private:
  static Tensor same(const Tensor& x) { return x; }
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
