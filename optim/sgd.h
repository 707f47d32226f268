// optim::SGD, numerically as torch.optim.SGD (each add(x, alpha) one std::fma with alpha cast to float).
//   mt::optim::SGD opt(model.parameters(), mt::optim::SGDOptions(0.1).momentum(0.9));
//   opt.zero_grad(); loss.backward(); opt.step();
// A plain step (no momentum, no weight decay) touches only the rows a sparse or row-tracked gradient holds.
#pragma once
#include <vector>

#include "../core/tensor.h"

namespace microtorch::optim {

struct SGDOptions {
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

 private:
  double lr_;
  double momentum_ = 0.0;
  double dampening_ = 0.0;
  double weight_decay_ = 0.0;
  bool nesterov_ = false;
};

class SGD {
 public:
  // Throws std::invalid_argument for a negative lr, momentum or weight decay, or nesterov without
  // momentum or with dampening. A parameter listed twice is kept (and updated) once.
  SGD(const std::vector<Tensor>& params, const SGDOptions& options);
  void zero_grad();  // every gradient becomes undefined (PyTorch 2's set_to_none)
  void step();       // skips a parameter no backward has reached since zero_grad

  const SGDOptions& options() const { return options_; }
  const std::vector<Tensor>& params() const { return params_; }
  // momentum_buffers()[i] belongs to params()[i]; undefined until that parameter's first momentum step.
  std::vector<Tensor>& momentum_buffers() { return momentum_buffers_; }

 private:
  void plain_rows_step(const Tensor& p);  // lr only, on the rows a gradient holds
  void dense_step(const Tensor& p, Tensor& buf);

  SGDOptions options_;
  std::vector<Tensor> params_;
  std::vector<Tensor> momentum_buffers_;
};

}  // namespace microtorch::optim
