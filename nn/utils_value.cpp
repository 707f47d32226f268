// nn::utils::clip_grad_value_ (utils.h), as torch.nn.utils.clip_grad_value_: every gradient clamped in place to
// [-clip_value, clip_value]. Clamping rows one by one is not clamping their sum, so a row gradient is first made
// the dense gradient the next step reads (grad(), core/grad.h), then clamped.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "../core/autograd.h"
#include "../core/grad/door.h"
#include "module.h"
#include "utils.h"

namespace microtorch::nn::utils {

void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value) {
  if (!(clip_value >= 0.0))
    throw std::invalid_argument("clip_grad_value_: clip_value must be >= 0, got " + std::to_string(clip_value));
  const float hi = static_cast<float>(clip_value), lo = -hi;
  for (const Tensor& p : unique_tensors(parameters)) {
    if (grad::kind(p) == grad::Kind::kNone) continue;
    const Tensor g = p.grad();  // the live gradient
    float* v = g.data_ptr<float>();
    for (int64_t i = 0; i < g.numel(); ++i) v[i] = std::clamp(v[i], lo, hi);  // NaN stays NaN, as clamp_
    grad::bump_version(g);
  }
}

void clip_grad_value_(std::initializer_list<Tensor> parameters, double clip_value) {
  clip_grad_value_(std::vector<Tensor>(parameters), clip_value);
}

void clip_grad_value_(const Tensor& parameter, double clip_value) {
  clip_grad_value_(std::vector<Tensor>{parameter}, clip_value);
}

}  // namespace microtorch::nn::utils
