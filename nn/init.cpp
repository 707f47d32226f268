#include "init.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

#include "../core/autograd.h"
#include "../core/random.h"
#include "../core/grad/door.h"

namespace microtorch::nn::init {

// Writes f() into every element of the floating-point t, under no-grad, and marks t as changed in place. float32
// is written directly; another float dtype gets the draws as doubles, rounded once to its dtype.
template <class Draw> static Tensor fill_(Tensor& t, const char* name, Draw draw) {
  if (!t.defined())
    throw std::invalid_argument(std::string(name) + ": the tensor to fill is undefined; expected a floating-point "
                                "tensor (float32, float64, float16 or bfloat16)");
  if (!t.is_floating_point())
    throw std::invalid_argument(std::string(name) + ": expected a floating-point tensor (float32, float64, float16 "
                                "or bfloat16), got " + dtype_name(t.dtype()));
  NoGradGuard no_grad;
  GeneratorGuard lock;  // the values are one run of the global generator's sequence, locked once
  if (t.dtype() != kFloat32) {
    Tensor values = empty(t.shape(), kFloat64);
    double* p = values.data_ptr<double>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = draw();
    t.copy_(values);  // rounds to t's dtype
  } else {
    Tensor values = t.is_contiguous() ? t : empty(t.shape());  // a view of another layout: filled, then copied in
    float* p = values.data_ptr<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>(draw());
    if (!values.is_same(t)) t.copy_(values);
  }
  grad::bump_version(t);
  return t;
}

// A number for a message: "%g", so 1e308 is not 309 digits.
static std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

static void check_finite(const char* op, const char* what, double v) {
  if (!std::isfinite(v)) throw std::invalid_argument(std::string(op) + ": " + what + " must be finite, got " + num(v));
}

Tensor normal_(Tensor t, double mean, double std) {
  check_finite("normal_", "mean", mean);
  check_finite("normal_", "std", std);
  if (!(std >= 0.0)) throw std::invalid_argument("normal_: std must be >= 0, got " + num(std));
  return fill_(t, "normal_", [&] { return random_normal(mean, std); });
}

// One draw of N(0, 1) restricted to [lo, hi] (standardised bounds, lo <= hi, lo + hi <= 0 so the window's
// CDF values are small and exact): p ~ U(Phi(lo), Phi(hi)), x = Phi^{-1}(p).
static double standard_trunc_normal(double lo, double hi) {
  const double cdf_lo = normal_cdf(lo), cdf_hi = normal_cdf(hi);
  const double u = std::min(random_uniform() + 0x1p-54, 1.0 - 0x1p-53);  // in (0, 1): p never reaches 1
  double x;
  if (cdf_hi > cdf_lo) {
    x = normal_quantile(cdf_lo + (cdf_hi - cdf_lo) * u);
    if (!std::isfinite(x)) x = hi;  // p underflowed to 0: only when Phi(hi) is itself below ~1e-300
  } else if (hi < -30.0) {
    // Phi underflows (a window beyond ~37 std): the tail below hi is hi - Exp(1) / |hi| to O(1/hi^2),
    // the law every far-tail sampler converges to.
    x = hi - (-std::log(u)) / std::fabs(hi);
  } else {
    x = lo + (hi - lo) * u;  // a window too narrow for Phi to resolve: the density is flat across it
  }
  return std::min(std::max(x, lo), hi);
}

Tensor trunc_normal_(Tensor t, double mean, double std, double a, double b) {
  check_finite("trunc_normal_", "mean", mean);
  check_finite("trunc_normal_", "std", std);
  if (!(std > 0.0)) throw std::invalid_argument("trunc_normal_: std must be > 0, got " + num(std));
  if (std::isnan(a) || std::isnan(b) || a > b)
    throw std::invalid_argument("trunc_normal_: need a <= b, got [" + num(a) + ", " + num(b) + "]");
  if (a == INFINITY || b == -INFINITY)
    throw std::invalid_argument("trunc_normal_: the window [" + num(a) + ", " + num(b) +
                                "] holds no finite value");
  // Inverse-CDF sampling, as torch.nn.init.trunc_normal_: every window returns at once (rejection
  // sampling would loop ~1e23 times for [10, 11]). A window above the mean is sampled mirrored.
  const double lo = (a - mean) / std, hi = (b - mean) / std;
  const bool mirror = lo + hi > 0.0;
  return fill_(t, "trunc_normal_", [&] {
    const double x = mirror ? -standard_trunc_normal(-hi, -lo) : standard_trunc_normal(lo, hi);
    return std::min(std::max(mean + std * x, a), b);
  });
}

Tensor uniform_(Tensor t, double a, double b) {
  check_finite("uniform_", "a", a);
  check_finite("uniform_", "b", b);
  if (!(a <= b)) throw std::invalid_argument("uniform_: need a <= b, got [" + num(a) + ", " + num(b) + "]");
  if (!(b - a <= std::numeric_limits<float>::max()))  // as PyTorch: else a + (b - a) u overflows
    throw std::invalid_argument("uniform_: b - a must be at most the float32 maximum, got [" + num(a) + ", " +
                                num(b) + "]");
  return fill_(t, "uniform_", [&] { return a + (b - a) * random_uniform(); });
}

Tensor constant_(Tensor t, double value) { return fill_(t, "constant_", [&] { return value; }); }
Tensor zeros_(Tensor t) { return fill_(t, "zeros_", [] { return 0.0; }); }
Tensor ones_(Tensor t) { return fill_(t, "ones_", [] { return 1.0; }); }

Tensor linear_default_(Tensor t, int64_t fan_in) {
  const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
  return uniform_(t, -bound, bound);
}

}  // namespace microtorch::nn::init
