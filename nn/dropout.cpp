// F::dropout and nn::Dropout. The keep mask is drawn from the global generator (one uniform per element, in
// memory order), so manual_seed makes it reproducible; it is kept as the per-element factor (0 or 1/(1-p))
// for the backward: dx = dy * factor. float32 and float64 run the loop below in their own type (the same mask for
// the same seed); float16/bfloat16 run in float32 and round back.
#include "dropout.h"

#include <cmath>

#include "../core/autograd.h"
#include "../core/grad.h"
#include "../core/random.h"
#include "internal/dtypes.h"

namespace microtorch::nn {
namespace functional {

static void check_p(const char* op, double p) {
  if (!(p >= 0.0 && p <= 1.0))
    throw std::invalid_argument(std::string(op) + ": dropout probability p must be in [0, 1], got " + std::to_string(p));
}

// y = x * factor in T, factor[i] = keep_scale with probability 1 - p, else 0.
template <class T> static Tensor dropout_mask(const Tensor& x_in, double p) {
  const Tensor x = x_in.contiguous();
  const int64_t n = x.numel();
  const T keep_scale = p == 1.0 ? T(0) : static_cast<T>(1.0 / (1.0 - p));
  std::vector<T> factor(static_cast<size_t>(n));
  {
    GeneratorGuard lock;  // one run of the global generator's sequence, locked once
    for (int64_t i = 0; i < n; ++i) factor[i] = random_uniform() < 1.0 - p ? keep_scale : T(0);  // Bernoulli(1 - p)
  }
  Tensor y = empty(x.shape(), x.dtype());
  const T* xp = x.data_ptr<T>();
  T* yp = y.data_ptr<T>();
  for (int64_t i = 0; i < n; ++i) yp[i] = xp[i] * factor[i];

  record(y, "dropout", {x}, [x, factor = std::move(factor)](const Tensor& dy) {
    Tensor dx = empty(x.shape(), x.dtype());
    const T* g = dy.data_ptr<T>();
    T* d = dx.data_ptr<T>();
    for (size_t i = 0; i < factor.size(); ++i) d[i] = g[i] * factor[i];
    accumulate_grad(x, dx);
  });
  return y;
}

Tensor dropout(const Tensor& x, const DropoutFuncOptions& o) {
  check_p("dropout", o.p());
  internal::check_floating("dropout", "input", x);
  if (!o.training() || o.p() == 0.0) return x;  // as PyTorch: the input itself
  if (internal::is_half_kind(x.dtype())) return dropout(x.to(kFloat32), o).to(x.dtype());
  return x.dtype() == kFloat64 ? dropout_mask<double>(x, o.p()) : dropout_mask<float>(x, o.p());
}

}  // namespace functional

Dropout::Dropout(const DropoutOptions& o) : options_(o) { functional::check_p("Dropout", o.p()); }

Tensor Dropout::forward(const Tensor& x) {
  return functional::dropout(x, functional::DropoutFuncOptions().p(options_.p()).training(is_training()));
}

}  // namespace microtorch::nn
