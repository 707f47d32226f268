// Adam and AdamW share one update, float for float torch 1.13's _single_tensor_adam(w) on the CPU (scalars
// are doubles, cast to float where they meet a float32 tensor; add(x, alpha) is one fma):
//   t += 1;  Adam: g = fma(p, wd, g) if wd;   AdamW: p = p * (1 - lr*wd)
//   m = fma(g, 1 - b1, m * b1);   v = v * b2 + ((1 - b2) * g) * g
//   denom = sqrt(v) / sqrt(1 - b2^t) + eps      (amsgrad: vmax = max(vmax, v), sqrt(vmax))
//   p = p + (-(lr / (1 - b1^t)) * m) / denom
#include "adam.h"

#include <algorithm>
#include <functional>
#include <cmath>
#include <stdexcept>

#include "../core/autograd.h"
#include "../core/grad/door.h"
#include "../core/kernels/adam.h"

namespace microtorch::optim {

// The Adam family's loops (core/kernels/adam.h) are float32's: a float64 parameter is refused by name.
static void check_float32_params(const std::vector<Tensor>& params, const char* who) {
  for (const Tensor& p : params)
    if (p.dtype() != kFloat32)
      throw std::invalid_argument(std::string(who) + ": parameters must be float32 (its update kernel is float32 "
                                  "only), got a " + dtype_name(p.dtype()) + " parameter of shape " + shape_str(p.shape()) +
                                  "; optim::SGD steps float64 parameters");
}

template <class O>
static void check_adam_options(const O& o, const char* who) {
  AdamFamily::check_options(who, o.lr(), o.eps(), o.betas());
  check_option(o.weight_decay() >= 0.0, who, "weight_decay value", o.weight_decay(), ">= 0");
}

// One parameter's update; `decoupled` is AdamW. The state's tensors exist (zeros before the first step).
template <class O>
static void adam_update(const Tensor& p, const Tensor& grad, AdamParamState& s, const O& o, bool decoupled) {
  s.step += 1;
  const auto [beta1, beta2] = o.betas();
  const double lr = o.lr(), wd = o.weight_decay();
  const double bc1 = 1.0 - std::pow(beta1, static_cast<double>(s.step));
  const double bc2 = 1.0 - std::pow(beta2, static_cast<double>(s.step));
  kernels::AdamScalars k;
  k.decoupled = decoupled;
  k.weight_decay = wd != 0.0;
  k.b1 = static_cast<float>(beta1);
  k.b2 = static_cast<float>(beta2);
  k.keep1 = static_cast<float>(1.0 - beta1);
  k.keep2 = static_cast<float>(1.0 - beta2);
  k.shrink = static_cast<float>(1.0 - lr * wd);
  k.wd = static_cast<float>(wd);
  k.bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  k.eps = static_cast<float>(o.eps());
  k.neg_step = static_cast<float>(-(lr / bc1));
  float* vmax = o.amsgrad() ? s.max_exp_avg_sq.data_ptr<float>() : nullptr;
  kernels::adam_kernel(p.data_ptr<float>(), grad.data_ptr<float>(), s.exp_avg.data_ptr<float>(),
                      s.exp_avg_sq.data_ptr<float>(), vmax, p.numel(), k);
}

// Every parameter a backward reached since zero_grad, with its group's options. Everything that allocates
// (the dense form of a row gradient, a first step's moments) is done for every parameter before the first
// one moves, so running out of memory changes no parameter and counts no step (as PyTorch's state init).
template <class O>
static void adam_step(const std::vector<Tensor>& params, std::vector<AdamParamState>& states,
                      const std::function<const O&(size_t)>& options_of, bool decoupled) {
  NoGradGuard no_grad;
  std::vector<Tensor> grads(params.size());
  std::vector<AdamParamState> next = states;  // handles: new moments are set here, adopted once all exist
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    if (grad::kind(p) == grad::Kind::kNone) continue;
    grads[i] = grad::dense(p);
    AdamParamState& s = next[i];
    const bool amsgrad = options_of(i).amsgrad();
    if (s.step == 0) {
      s.exp_avg = zeros(p.shape());
      s.exp_avg_sq = zeros(p.shape());
      if (amsgrad) s.max_exp_avg_sq = zeros(p.shape());
    } else if (amsgrad && !s.max_exp_avg_sq.defined()) {  // amsgrad switched on after the start
      s.max_exp_avg_sq = zeros(p.shape());
    }
  }
  states = std::move(next);
  for (size_t i = 0; i < params.size(); ++i) {
    if (!grads[i].defined()) continue;
    adam_update(params[i], grads[i], states[i], options_of(i), decoupled);
    grad::bump_version(params[i]);
  }
}

Adam::Adam(const std::vector<Tensor>& params, const AdamOptions& o) : Adam(one_group(params), o) {}
Adam::Adam(std::vector<OptimizerParamGroup> groups, const AdamOptions& defaults)
    : AdamFamily((check_adam_options(defaults, "Adam"), std::move(groups)), defaults.clone(), "Adam") {
  for (const OptimizerParamGroup& g : param_groups()) check_adam_options(static_cast<const AdamOptions&>(g.options()), "Adam");
  check_float32_params(params(), "Adam");
  states_.resize(params().size());
}
bool Adam::amsgrad(size_t i) const { return options_of<AdamOptions>(i).amsgrad(); }
void Adam::step() {
  adam_step<AdamOptions>(params(), states_, [this](size_t i) -> const AdamOptions& { return options_of<AdamOptions>(i); },
                         false);
}

AdamW::AdamW(const std::vector<Tensor>& params, const AdamWOptions& o) : AdamW(one_group(params), o) {}
AdamW::AdamW(std::vector<OptimizerParamGroup> groups, const AdamWOptions& defaults)
    : AdamFamily((check_adam_options(defaults, "AdamW"), std::move(groups)), defaults.clone(), "AdamW") {
  for (const OptimizerParamGroup& g : param_groups()) check_adam_options(static_cast<const AdamWOptions&>(g.options()), "AdamW");
  check_float32_params(params(), "AdamW");
  states_.resize(params().size());
}
bool AdamW::amsgrad(size_t i) const { return options_of<AdamWOptions>(i).amsgrad(); }
void AdamW::step() {
  adam_step<AdamWOptions>(params(), states_,
                          [this](size_t i) -> const AdamWOptions& { return options_of<AdamWOptions>(i); }, true);
}

}  // namespace microtorch::optim
