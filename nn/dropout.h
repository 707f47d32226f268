// nn::Dropout: inverted dropout in train(), the identity in eval().
//   mt::nn::Dropout drop(mt::nn::DropoutOptions(0.1));
//   mt::Tensor y = drop(x);   // same shape; zeroes each element with probability p, scales the rest by 1/(1-p)
#pragma once
#include "functional.h"
#include "module.h"

namespace microtorch::nn {

struct DropoutOptions {
  DropoutOptions(double p = 0.5) : p_(p) {}
  /// Probability of zeroing an element, in [0, 1].
  MICROTORCH_ARG(double, p);
};

class Dropout : public Module {
 public:
  explicit Dropout(const DropoutOptions& options = {});
  void reset() {}  // nothing to initialise
  // The mode read here is the one train()/eval() set on this module, its copies or any registered ancestor.
  Tensor forward(const Tensor& x);
  Tensor operator()(const Tensor& x) { return forward(x); }
  const DropoutOptions& options() const { return options_; }

 private:
  DropoutOptions options_;
};

}  // namespace microtorch::nn
