// optim::SGD, numerically as torch.optim.SGD (each add(x, alpha) one std::fma with alpha cast to float).
//   mt::optim::SGD opt(model.parameters(), mt::optim::SGDOptions(0.1).momentum(0.9));
//   opt.zero_grad(); loss.backward(); opt.step();
// A plain step (no momentum, no weight decay) touches only the rows a sparse or row-tracked gradient holds.
#pragma once
#include <vector>

#include "optimizer.h"

namespace microtorch::optim {

struct SGDOptions : OptimizerOptions {
  explicit SGDOptions(double lr) : lr_(lr) {}
  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<SGDOptions>(*this); }
  double get_lr() const override { return lr_; }
  void set_lr(double v) override { lr_ = checked_lr("SGD", v); }
  MICROTORCH_ARG(double, lr);
  /// Momentum factor mu: buf = mu * buf + (1 - dampening) * d (the first step's buf is d itself).
  MICROTORCH_ARG(double, momentum) = 0.0;
  MICROTORCH_ARG(double, dampening) = 0.0;
  /// L2 penalty: d = g + weight_decay * p.
  MICROTORCH_ARG(double, weight_decay) = 0.0;
  /// Nesterov momentum: d = d + mu * buf (needs momentum > 0 and dampening 0).
  MICROTORCH_ARG(bool, nesterov) = false;
};

class SGD : public Optimizer {
 public:
  // Throws std::invalid_argument for a negative lr, momentum or weight decay, or nesterov without
  // momentum or with dampening (in the defaults or any group). A parameter listed twice is kept once.
  SGD(const std::vector<Tensor>& params, const SGDOptions& options);
  SGD(std::vector<OptimizerParamGroup> groups, const SGDOptions& defaults);
  SGD(const SGD& other);  // clones the momentum buffers
  SGD& operator=(const SGD& other);
  SGD(SGD&&) = default;
  SGD& operator=(SGD&&) = default;
  void step() override;  // skips a parameter no backward has reached since zero_grad

  const SGDOptions& options() const { return static_cast<const SGDOptions&>(defaults()); }
  // momentum_buffers()[i] belongs to params()[i]; undefined until that parameter's first momentum step.
  const std::vector<Tensor>& momentum_buffers() const { return momentum_buffers_; }
  // Checked: undefined, or float32 of params()[i]'s shape (std::invalid_argument); std::out_of_range for i.
  void set_momentum_buffer(size_t i, const Tensor& buffer);

  std::vector<std::string> state_kinds() const override { return {"momentum_buffer"}; }
  OptimizerState state() const override;
  void load_state(const OptimizerState& state) override;

 private:
  bool rows_only(size_t i) const;                               // params()[i]'s step is plain_rows_step
  void plain_rows_step(const Tensor& p, const SGDOptions& o);  // lr only, on the rows a gradient holds
  // grad: p's dense gradient; buf: its momentum buffer (undefined without momentum), just made when first.
  void dense_step(const Tensor& p, const Tensor& grad, const Tensor& buf, bool first, const SGDOptions& o);

  std::vector<Tensor> momentum_buffers_;
};

}  // namespace microtorch::optim
