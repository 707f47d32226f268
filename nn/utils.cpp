// clip_grad_norm_ (utils.h), float for float as PyTorch 1.13 where it can be: each gradient's norm is a
// float32 value (norm_type 2: torch.norm's own float order, core/grad/norm_kernels.h; others summed in
// double), the total is the norm of those floats (norm_type 2: the same loop over them), and
// coef = clamp(reciprocal(total + 1e-6) * max_norm, max = 1) multiplies every gradient (torch's __rtruediv__).
#include "utils.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "../core/grad/door.h"
#include "module.h"

namespace microtorch::nn::utils {

double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type, bool error_if_nonfinite) {
  if (!(norm_type > 0.0))
    throw std::invalid_argument("clip_grad_norm_: norm_type must be > 0 or inf, got " + std::to_string(norm_type));
  std::vector<Tensor> with_grad;
  for (const Tensor& p : unique_tensors(parameters))
    if (grad::kind(p) != grad::Kind::kNone) with_grad.push_back(p);
  if (with_grad.empty()) return 0.0;
  std::vector<float> norms;  // (n) one float32 norm per gradient
  for (const Tensor& p : with_grad) norms.push_back(static_cast<float>(grad::norm(p, norm_type)));
  float total;  // norm_type 2: torch.norm(torch.stack(norms), 2), the same float loop over the norms
  if (norm_type == 2.0) {
    total = grad::norm2(norms.data(), static_cast<int64_t>(norms.size()));
  } else {
    double acc = 0.0;
    for (float x : norms) {
      const double a = std::fabs(static_cast<double>(x));
      acc = std::isinf(norm_type) ? std::max(acc, a) : acc + std::pow(a, norm_type);
    }
    total = static_cast<float>(std::isinf(norm_type) ? acc : std::pow(acc, 1.0 / norm_type));
  }
  if (error_if_nonfinite && !std::isfinite(total))
    throw std::runtime_error("clip_grad_norm_: the total norm of order " + std::to_string(norm_type) + " is " +
                             std::to_string(total) + "; the gradients cannot be clipped (error_if_nonfinite)");
  const float coef = std::min((1.0f / (total + 1e-6f)) * static_cast<float>(max_norm), 1.0f);
  for (const Tensor& p : with_grad) grad::scale(p, coef);
  return total;
}

double clip_grad_norm_(std::initializer_list<Tensor> parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  return clip_grad_norm_(std::vector<Tensor>(parameters), max_norm, norm_type, error_if_nonfinite);
}

double clip_grad_norm_(const Tensor& parameter, double max_norm, double norm_type, bool error_if_nonfinite) {
  return clip_grad_norm_(std::vector<Tensor>{parameter}, max_norm, norm_type, error_if_nonfinite);
}

}  // namespace microtorch::nn::utils
