// allclose and equal: one answer for two whole tensors, never recorded. Both read the values in float64 (or
// through eq), as PyTorch's isclose compares in the promoted dtype.
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "../autograd.h"
#include "../ops.h"

namespace microtorch {

static void check_pair(const char* op, const Tensor& a, const Tensor& b) {
  if (!a.defined() || !b.defined())
    throw std::invalid_argument(std::string(op) + ": expected two tensors, got an undefined tensor");
}

// |a - b| <= atol + rtol |b| at every element of the broadcast shape, as torch.allclose: equal values
// (infinities included) are close, a finite and a non-finite one never are, NaN and NaN only with equal_nan.
bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  check_pair("allclose", a, b);
  if (!(rtol >= 0) || !(atol >= 0))
    throw std::invalid_argument("allclose: rtol " + std::to_string(rtol) + " and atol " + std::to_string(atol) +
                                " must be >= 0");
  NoGradGuard no_grad;
  const Tensor x = a.detach().to(kFloat64), y = b.detach().to(kFloat64);
  const Shape shape = (x - y).shape();  // the broadcast shape (throws naming both when there is none)
  const std::vector<double> u = x.expand(shape).to_vector<double>(), v = y.expand(shape).to_vector<double>();
  for (size_t i = 0; i < u.size(); ++i) {
    if (u[i] == v[i]) continue;
    if (std::isnan(u[i]) && std::isnan(v[i]) && equal_nan) continue;
    if (!std::isfinite(u[i]) || !std::isfinite(v[i])) return false;
    if (!(std::fabs(u[i] - v[i]) <= atol + rtol * std::fabs(v[i]))) return false;
  }
  return true;
}

// The same shape and every element equal (in the promoted dtype); NaN is not equal to itself, as torch.equal.
bool equal(const Tensor& a, const Tensor& b) {
  check_pair("equal", a, b);
  if (a.shape() != b.shape()) return false;
  NoGradGuard no_grad;
  return eq(a.detach(), b.detach()).to(kInt64).sum().item<int64_t>() == a.numel();
}

}  // namespace microtorch
