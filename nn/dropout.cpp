// F::dropout and nn::Dropout. The keep mask is drawn from the global generator (one uniform per element, in
// memory order), so manual_seed makes it reproducible; it is kept as the per-element factor (0 or 1/(1-p))
// for the backward: dx = dy * factor.
#include "dropout.h"

#include <cmath>

#include "../core/autograd.h"
#include "../core/grad.h"
#include "../core/random.h"

namespace microtorch::nn {
namespace functional {

static void check_p(const char* op, double p) {
  if (!(p >= 0.0 && p <= 1.0))
    throw std::invalid_argument(std::string(op) + ": dropout probability p must be in [0, 1], got " + std::to_string(p));
}

Tensor dropout(const Tensor& x_in, const DropoutFuncOptions& o) {
  check_p("dropout", o.p());
  if (x_in.dtype() != kFloat32) throw std::invalid_argument("dropout: input must be float32, got " + dtype_name(x_in.dtype()));
  if (!o.training() || o.p() == 0.0) return x_in;  // as PyTorch: the input itself
  const Tensor x = x_in.contiguous();
  const int64_t n = x.numel();
  const float keep_scale = o.p() == 1.0 ? 0.0f : static_cast<float>(1.0 / (1.0 - o.p()));
  std::vector<float> factor(static_cast<size_t>(n));
  GeneratorGuard lock;  // one run of the global generator's sequence, locked once
  for (int64_t i = 0; i < n; ++i) factor[i] = random_uniform() < 1.0 - o.p() ? keep_scale : 0.0f;  // Bernoulli(1 - p)
  Tensor y = empty(x.shape());
  const float* xp = x.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) yp[i] = xp[i] * factor[i];

  record(y, "dropout", {x}, [x, factor = std::move(factor)](const Tensor& dy) {
    Tensor dx = empty(x.shape());
    const float* g = dy.data_ptr<float>();
    float* d = dx.data_ptr<float>();
    for (size_t i = 0; i < factor.size(); ++i) d[i] = g[i] * factor[i];
    accumulate_grad(x, dx);
  });
  return y;
}

}  // namespace functional

Dropout::Dropout(const DropoutOptions& o) : options_(o) { functional::check_p("Dropout", o.p()); }

Tensor Dropout::forward(const Tensor& x) {
  return functional::dropout(x, functional::DropoutFuncOptions().p(options_.p()).training(is_training()));
}

}  // namespace microtorch::nn
