// optim::SparseAdam, as torch.optim.SparseAdam: only the rows present in the gradient move, and only their
// moments; rows no lookup reached keep their weights and their m and v exactly.
//   mt::nn::Embedding emb(mt::nn::EmbeddingOptions(V, C).sparse(true));
//   mt::optim::SparseAdam opt(emb.parameters(), mt::optim::SparseAdamOptions(1e-3));
// It also takes the embedding's default (row-tracked dense) gradient: the touched rows are the sparse
// gradient's ids. A dense gradient (a tied head's, or one read with grad()) is refused, as PyTorch does.
#pragma once
#include <tuple>
#include <vector>

#include "adam_state.h"

namespace microtorch::optim {

struct SparseAdamOptions : OptimizerOptions {
  explicit SparseAdamOptions(double lr = 1e-3) : lr_(lr) {}
  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<SparseAdamOptions>(*this); }
  double get_lr() const override { return lr_; }
  void set_lr(double v) override { lr_ = checked_lr("SparseAdam", v); }
  MICROTORCH_ARG(double, lr);
  /// Decay rates of the moving averages of the gradient and of its square, each in [0, 1).
  MICROTORCH_ARG(betas_t, betas) = {0.9, 0.999};
  /// Added to the denominator for numerical stability.
  MICROTORCH_ARG(double, eps) = 1e-8;
};

class SparseAdam : public AdamFamily {
 public:
  // std::invalid_argument for lr or eps < 0, a beta outside [0, 1), or a parameter that is not 2-D.
  SparseAdam(const std::vector<Tensor>& params, const SparseAdamOptions& options = SparseAdamOptions());
  SparseAdam(std::vector<OptimizerParamGroup> groups, const SparseAdamOptions& defaults = SparseAdamOptions());
  // std::invalid_argument, before any parameter moves, if a gradient is held dense.
  void step() override;

 private:
  bool amsgrad(size_t) const override { return false; }
};

}  // namespace microtorch::optim
