// Central differences in float32, summed in double, against one backward pass.
#include "gradcheck.h"

#include <cmath>
#include <cstring>
#include <random>
#include <sstream>

#include "autograd.h"

namespace microtorch::autograd {

std::string GradcheckResult::message() const {
  std::ostringstream s;
  s << "gradcheck(" << op << "): " << (ok ? "ok" : "FAILED") << ", worst at input " << input << " index " << index
    << ": analytic " << analytic << " vs numeric " << numeric << " (ratio to tolerance " << worst_ratio << ")";
  return s.str();
}

static std::vector<float> values_of(const Tensor& t) { return t.to_vector<float>(); }

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f, const std::vector<Tensor>& inputs,
                          const std::string& op, GradcheckOptions o) {
  // Work on private leaves so the caller's tensors and gradients are untouched.
  std::vector<Tensor> xs;
  std::vector<std::vector<float>> saved;
  for (const Tensor& t : inputs) {
    Tensor x = t.detach().contiguous().clone();  // row-major: perturbed element by element below
    if (t.requires_grad()) x.requires_grad_(true);
    xs.push_back(x);
    saved.push_back(t.dtype() == kFloat32 ? values_of(t) : std::vector<float>{});
  }
  auto restore = [&] {
    for (size_t i = 0; i < xs.size(); ++i)
      if (xs[i].dtype() == kFloat32) std::memcpy(xs[i].data_ptr<float>(), saved[i].data(), saved[i].size() * sizeof(float));
  };
  Tensor y = f(xs);
  std::mt19937 gen(1234);  // a local generator: gradcheck does not move the global one
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> weights(static_cast<size_t>(y.numel()));
  for (float& w : weights) w = normal(gen);
  auto weighted_sum = [&](const Tensor& out_any) {
    double s = 0.0;
    const Tensor out = out_any.contiguous();  // a view's values in row-major order
    const float* p = out.data_ptr<float>();
    for (size_t k = 0; k < weights.size(); ++k) s += static_cast<double>(p[k]) * weights[k];
    return s;
  };
  y.backward(tensor(weights, y.shape()));
  restore();

  GradcheckResult r;
  r.op = op;
  NoGradGuard no_grad;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!inputs[i].requires_grad()) continue;
    Tensor g = xs[i].grad();
    std::vector<float> analytic = g.defined() ? values_of(g) : std::vector<float>(saved[i].size(), 0.0f);
    float* p = xs[i].data_ptr<float>();
    for (int64_t k = 0; k < xs[i].numel(); ++k) {
      p[k] = saved[i][k] + static_cast<float>(o.eps);
      const double plus = weighted_sum(f(xs));
      restore();
      p[k] = saved[i][k] - static_cast<float>(o.eps);
      const double minus = weighted_sum(f(xs));
      restore();
      // divide by the step actually taken in float32, not the nominal eps
      const double step = static_cast<double>(saved[i][k] + static_cast<float>(o.eps)) -
                          static_cast<double>(saved[i][k] - static_cast<float>(o.eps));
      const double numeric = (plus - minus) / step;
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
