// Learning-rate schedulers, as torch.optim.lr_scheduler (PyTorch 1.13): the same arguments in the same order
// and the same lr sequence, double for double. Call step() after the optimizer's step(); the constructor
// already applies the schedule's first value (epoch 0), as Python's does.
//   mt::optim::LinearLR warmup(opt, /*start_factor=*/0.1, /*end_factor=*/1.0, /*total_iters=*/5);
//   mt::optim::CosineAnnealingLR cosine(opt, /*T_max=*/95);
//   mt::optim::SequentialLR sched(opt, {&warmup, &cosine}, /*milestones=*/{5});
//   for (...) { ...; opt.step(); sched.step(); }   sched.get_last_lr();   // one lr per parameter group
// Each step computes the new lr from the group's current lr (Python's "chainable" get_lr), so the floats are
// Python's; a change made to the lr by hand in between carries on. Every scheduler's base is the lr the
// group had when the first scheduler was made on it (OptimizerParamGroup::initial_lr).
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "optimizer.h"

namespace microtorch::optim {

class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;  // a scheduler drives one optimizer's groups
  LRScheduler& operator=(const LRScheduler&) = delete;

  virtual void step();        // the next epoch's lr into every group
  void step(int64_t epoch);   // epoch's lr by the closed form where there is one (Python's step(epoch))
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  int64_t last_epoch() const { return last_epoch_; }
  const std::vector<double>& base_lrs() const { return base_lrs_; }

 protected:
  explicit LRScheduler(Optimizer& optimizer);  // records the groups' initial_lr (first scheduler) and base_lrs
  // Python's _initial_step: counts reset, then step() to epoch 0. Each scheduler's constructor ends with it.
  void initial_step();
  virtual std::vector<double> get_lr() = 0;  // the lrs for last_epoch_, from the current ones
  virtual std::vector<double> closed_form_lr() { return get_lr(); }
  std::vector<double> current_lrs() const;  // each group's lr now
  std::vector<double> current_lrs_times(double factor) const;  // each group's lr now times factor
  std::vector<double> from_base_lrs(const std::function<double(double)>& f) const;  // f(base_lr) for each group

  Optimizer* optimizer_;
  std::vector<double> base_lrs_;
  int64_t last_epoch_ = -1, step_count_ = 0;
  std::vector<double> last_lr_;

 private:
  friend class SequentialLR;
  void apply(const std::vector<double>& lrs);
};

// lr = base_lr * lr_lambda(epoch).
class LambdaLR : public LRScheduler {
 public:
  LambdaLR(Optimizer& optimizer, std::function<double(int64_t)> lr_lambda);

 private:
  std::vector<double> get_lr() override;
  std::function<double(int64_t)> lr_lambda_;
};

// lr times gamma every step_size epochs (libtorch's StepLR, with Python's first step).
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);

 private:
  std::vector<double> get_lr() override;
  std::vector<double> closed_form_lr() override;
  int64_t step_size_;
  double gamma_;
};

// lr times gamma every epoch.
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);

 private:
  std::vector<double> get_lr() override;
  std::vector<double> closed_form_lr() override;
  double gamma_;
};

// The factor goes linearly from start_factor (epoch 0) to end_factor (epoch total_iters), then stays; both
// factors in [0, 1].
class LinearLR : public LRScheduler {
 public:
  LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0, int64_t total_iters = 5);

 private:
  std::vector<double> get_lr() override;
  std::vector<double> closed_form_lr() override;
  double start_factor_, end_factor_;
  int64_t total_iters_;
};

// lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2, by Python's recursive form.
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0.0);

 private:
  std::vector<double> get_lr() override;
  std::vector<double> closed_form_lr() override;
  int64_t T_max_;
  double eta_min_;
};

// schedulers[0] until milestones[0], then schedulers[1] (started at its epoch 0), ...; the schedulers are
// the caller's, made on the same optimizer, and must outlive this one.
class SequentialLR : public LRScheduler {
 public:
  SequentialLR(Optimizer& optimizer, std::vector<LRScheduler*> schedulers, std::vector<int64_t> milestones);
  void step() override;

 private:
  std::vector<double> get_lr() override { return current_lrs(); }
  std::vector<LRScheduler*> schedulers_;
  std::vector<int64_t> milestones_;
};

}  // namespace microtorch::optim
