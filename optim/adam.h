// optim::Adam and optim::AdamW, numerically as torch 1.13's _single_tensor_adam / _single_tensor_adamw.
//   mt::optim::AdamW opt(model.parameters(), mt::optim::AdamWOptions(1e-3).betas({0.9, 0.99}).weight_decay(0.1));
// Adam's weight_decay is L2 (added to the gradient); AdamW's is decoupled (the parameter shrinks first).
// A sparse or row-tracked gradient is used in its dense form (PyTorch refuses sparse gradients here).
#pragma once
#include <tuple>
#include <vector>

#include "adam_state.h"

namespace microtorch::optim {

// Adam's options (torch.optim.Adam's defaults).
struct AdamOptions : OptimizerOptions {
  explicit AdamOptions(double lr = 1e-3) : lr_(lr) {}
  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<AdamOptions>(*this); }
  double get_lr() const override { return lr_; }
  void set_lr(double v) override { lr_ = checked_lr("Adam", v); }
  MICROTORCH_ARG(double, lr);
  /// Decay rates of the moving averages of the gradient and of its square, each in [0, 1).
  MICROTORCH_ARG(betas_t, betas) = {0.9, 0.999};
  /// Added to the denominator for numerical stability.
  MICROTORCH_ARG(double, eps) = 1e-8;
  /// L2 penalty: the gradient becomes g + weight_decay * p.
  MICROTORCH_ARG(double, weight_decay) = 0.0;
  /// Divide by the running maximum of the second moment (Reddi et al. 2018).
  MICROTORCH_ARG(bool, amsgrad) = false;
};

// AdamW's options: as Adam's, with a decoupled weight_decay (default 1e-2).
struct AdamWOptions : OptimizerOptions {
  explicit AdamWOptions(double lr = 1e-3) : lr_(lr) {}
  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<AdamWOptions>(*this); }
  double get_lr() const override { return lr_; }
  void set_lr(double v) override { lr_ = checked_lr("AdamW", v); }
  MICROTORCH_ARG(double, lr);
  /// Decay rates of the moving averages of the gradient and of its square, each in [0, 1).
  MICROTORCH_ARG(betas_t, betas) = {0.9, 0.999};
  /// Added to the denominator for numerical stability.
  MICROTORCH_ARG(double, eps) = 1e-8;
  /// Decoupled decay: the parameter is first multiplied by 1 - lr * weight_decay.
  MICROTORCH_ARG(double, weight_decay) = 1e-2;
  /// Divide by the running maximum of the second moment (Reddi et al. 2018).
  MICROTORCH_ARG(bool, amsgrad) = false;
};

class Adam : public AdamFamily {
 public:
  // std::invalid_argument for lr, eps or weight_decay < 0 or a beta outside [0, 1), in the defaults or a group.
  Adam(const std::vector<Tensor>& params, const AdamOptions& options = AdamOptions());
  Adam(std::vector<OptimizerParamGroup> groups, const AdamOptions& defaults = AdamOptions());
  void step() override;

 private:
  bool amsgrad(size_t i) const override;
};

class AdamW : public AdamFamily {
 public:
  AdamW(const std::vector<Tensor>& params, const AdamWOptions& options = AdamWOptions());
  AdamW(std::vector<OptimizerParamGroup> groups, const AdamWOptions& defaults = AdamWOptions());
  void step() override;

 private:
  bool amsgrad(size_t i) const override;
};

}  // namespace microtorch::optim
