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
  SGDOptions& lr(double v) { lr_ = v; return *this; }
  /// Momentum factor mu: buf = mu * buf + (1 - dampening) * d (the first step's buf is d itself).
  SGDOptions& momentum(double v) { momentum_ = v; return *this; }
  SGDOptions& dampening(double v) { dampening_ = v; return *this; }
  /// L2 penalty: d = g + weight_decay * p.
  SGDOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  /// Nesterov momentum: d = d + mu * buf (needs momentum > 0 and dampening 0).
  SGDOptions& nesterov(bool v) { nesterov_ = v; return *this; }
  double lr() const { return lr_; }
  double momentum() const { return momentum_; }
  double dampening() const { return dampening_; }
  double weight_decay() const { return weight_decay_; }
  bool nesterov() const { return nesterov_; }

  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<SGDOptions>(*this); }
  double get_lr() const override { return lr_; }
  void set_lr(double v) override;  // checked: v >= 0

 private:
  double lr_;
  double momentum_ = 0.0;
  double dampening_ = 0.0;
  double weight_decay_ = 0.0;
  bool nesterov_ = false;
};

class SGD : public Optimizer {
 public:
  // Throws std::invalid_argument for a negative lr, momentum or weight decay, or nesterov without
  // momentum or with dampening (in the defaults or any group). A parameter listed twice is kept once.
  SGD(const std::vector<Tensor>& params, const SGDOptions& options);
  SGD(std::vector<OptimizerParamGroup> groups, const SGDOptions& defaults);
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
  void plain_rows_step(const Tensor& p, const SGDOptions& o);  // lr only, on the rows a gradient holds
  void dense_step(const Tensor& p, Tensor& buf, const SGDOptions& o);

  std::vector<Tensor> momentum_buffers_;
};

}  // namespace microtorch::optim
