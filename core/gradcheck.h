// gradcheck: compare an op's analytic gradient (backward) with central finite differences.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "tensor.h"

namespace microtorch::autograd {

struct GradcheckResult {
  bool ok = true;
  std::string op;          // the name given to gradcheck
  int64_t input = -1;      // which input holds the worst element
  int64_t index = -1;      // its flat index
  double analytic = 0.0;   // backward's value there
  double numeric = 0.0;    // the finite difference there
  double worst_ratio = 0;  // |analytic - numeric| / (atol + rtol * |numeric|); ok when <= 1
  std::string message() const;  // one line naming all of the above
};

struct GradcheckOptions {
  double eps = 1e-3;   // the finite-difference step (float32 values)
  double atol = 1e-3;
  double rtol = 1e-2;
};

// Checks d<f(inputs), R>/d input for every float32 input that requires grad, R a fixed random weighting.
// f must be deterministic; inputs are restored after each evaluation (f may write them, as max_norm does).
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f, const std::vector<Tensor>& inputs,
                          const std::string& op = "f", GradcheckOptions options = {});

}  // namespace microtorch::autograd
