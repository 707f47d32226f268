// The state Adam, AdamW and SparseAdam keep per parameter (as torch's optimizer.state[p]), read through a
// const accessor and replaced only through the checked load_state (optimizer.h) that checkpoints use.
#pragma once
#include <string>
#include <vector>

#include "optimizer.h"

namespace microtorch::optim {

struct AdamParamState {
  int64_t step = 0;       // steps that found a gradient for this parameter; 0: no state yet
  Tensor exp_avg;         // m, the parameter's shape
  Tensor exp_avg_sq;      // v
  Tensor max_exp_avg_sq;  // amsgrad's running max of v; undefined without amsgrad
};

class AdamFamily : public Optimizer {
 public:
  AdamFamily(const AdamFamily& other);  // clones the state tensors
  AdamFamily& operator=(const AdamFamily& other);
  AdamFamily(AdamFamily&&) = default;
  AdamFamily& operator=(AdamFamily&&) = default;
  // std::invalid_argument naming `who` for lr or eps < 0 or a beta outside [0, 1), as torch.optim's.
  static void check_options(const char* who, double lr, double eps, const betas_t& betas);
  // params()[i]'s state; std::out_of_range for i.
  const AdamParamState& param_state(size_t i) const;

  std::vector<std::string> state_kinds() const override { return {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}; }
  OptimizerState state() const override;
  // Per parameter: nothing, or step >= 1 with exp_avg and exp_avg_sq, plus max_exp_avg_sq exactly when its
  // group uses amsgrad. Checked whole before anything is replaced.
  void load_state(const OptimizerState& state) override;

 protected:
  using Optimizer::Optimizer;
  virtual bool amsgrad(size_t i) const = 0;  // params()[i]'s group keeps max_exp_avg_sq
  std::vector<AdamParamState> states_;       // set up by the derived constructor, one per parameter
};

}  // namespace microtorch::optim
