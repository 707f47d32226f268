// Central differences against one backward pass, in the inputs' own dtype (float32 or float64), summed in
// double. With float64 inputs and the default options, float64's tolerances (as torch.autograd.gradcheck's).
#include "gradcheck.h"

#include <cmath>
#include <cstring>
#include <random>
#include <sstream>
#include <stdexcept>

#include "autograd.h"

namespace microtorch::autograd {

std::string GradcheckResult::message() const {
  std::ostringstream s;
  s << "gradcheck(" << op << "): " << (ok ? "ok" : "FAILED") << ", worst at input " << input << " index " << index
    << ": analytic " << analytic << " vs numeric " << numeric << " (ratio to tolerance " << worst_ratio << ")";
  return s.str();
}

static std::vector<double> values_of(const Tensor& t) { return t.detach().to(kFloat64).to_vector<double>(); }

// Element k of the row-major float tensor x set to v (rounded to x's dtype); returns the value x now holds.
static double set_element(const Tensor& x, int64_t k, double v) {
  if (x.dtype() == kFloat64) return x.data_ptr<double>()[k] = v;
  return x.data_ptr<float>()[k] = static_cast<float>(v);
}

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f, const std::vector<Tensor>& inputs,
                          const std::string& op, GradcheckOptions o) {
  const std::string who = "gradcheck(" + op + "): ";
  bool any_requires_grad = false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined())
      throw std::invalid_argument(who + "input " + std::to_string(i) + " is an undefined tensor");
    any_requires_grad = any_requires_grad || inputs[i].requires_grad();
  }
  if (!any_requires_grad)
    throw std::invalid_argument(who + "none of the " + std::to_string(inputs.size()) +
                                " inputs requires grad; expected a float32 or float64 input with requires_grad_()");
  bool all_double = true;
  for (const Tensor& t : inputs)
    if (t.requires_grad()) all_double = all_double && t.dtype() == kFloat64;
  const GradcheckOptions defaults;
  if (all_double && o.eps == defaults.eps && o.atol == defaults.atol && o.rtol == defaults.rtol) o = {1e-6, 1e-5, 1e-3};
  // Work on private leaves so the caller's tensors and gradients are untouched.
  std::vector<Tensor> xs;
  std::vector<std::vector<double>> saved;
  for (const Tensor& t : inputs) {
    if (t.requires_grad() && t.dtype() != kFloat32 && t.dtype() != kFloat64)
      throw std::invalid_argument("gradcheck: an input that requires grad must be float32 or float64, got " +
                                  dtype_name(t.dtype()));
    Tensor x = t.detach().contiguous().clone();  // row-major: perturbed element by element below
    if (t.requires_grad()) x.requires_grad_(true);
    xs.push_back(x);
    saved.push_back(t.is_floating_point() ? values_of(t) : std::vector<double>{});
  }
  auto restore = [&] {
    for (size_t i = 0; i < xs.size(); ++i)
      if (inputs[i].requires_grad())
        for (size_t k = 0; k < saved[i].size(); ++k) set_element(xs[i], static_cast<int64_t>(k), saved[i][k]);
  };
  Tensor y = f(xs);
  if (!y.defined() || (y.dtype() != kFloat32 && y.dtype() != kFloat64))
    throw std::invalid_argument(who + "f must return a float32 or float64 tensor, got " +
                                (y.defined() ? dtype_name(y.dtype()) : std::string("an undefined tensor")));
  if (!y.requires_grad())
    throw std::invalid_argument(who + "f's output of shape " + shape_str(y.shape()) +
                                " does not require grad: it does not depend on an input that requires grad");
  std::mt19937 gen(1234);  // a local generator: gradcheck does not move the global one
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<double> weights(static_cast<size_t>(y.numel()));
  for (double& w : weights) w = normal(gen);
  auto weighted_sum = [&](const Tensor& out) {
    const std::vector<double> v = values_of(out);
    double s = 0.0;
    for (size_t k = 0; k < weights.size(); ++k) s += v[k] * weights[k];
    return s;
  };
  y.backward(tensor(weights, y.shape()).to(y.dtype()));
  restore();

  GradcheckResult r;
  r.op = op;
  NoGradGuard no_grad;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!inputs[i].requires_grad()) continue;
    Tensor g = xs[i].grad();
    const std::vector<double> analytic = g.defined() ? values_of(g) : std::vector<double>(saved[i].size(), 0.0);
    for (int64_t k = 0; k < xs[i].numel(); ++k) {
      const double up = set_element(xs[i], k, saved[i][k] + o.eps);
      const double plus = weighted_sum(f(xs));
      restore();
      const double down = set_element(xs[i], k, saved[i][k] - o.eps);
      const double minus = weighted_sum(f(xs));
      restore();
      const double numeric = (plus - minus) / (up - down);  // the step actually taken in the dtype, not eps
      const double ratio = std::fabs(analytic[k] - numeric) / (o.atol + o.rtol * std::fabs(numeric));
      if (ratio > r.worst_ratio || r.index < 0) {
        r.worst_ratio = ratio;
        r.input = static_cast<int64_t>(i);
        r.index = k;
        r.analytic = analytic[k];
        r.numeric = numeric;
      }
    }
  }
  r.ok = r.worst_ratio <= 1.0;
  return r;
}

}  // namespace microtorch::autograd
