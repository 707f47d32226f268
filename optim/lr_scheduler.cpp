// The schedulers of lr_scheduler.h, transcribed from PyTorch 1.13's torch/optim/lr_scheduler.py: each get_lr()
// is Python's chainable form (from the group's current lr), each closed_form_lr() Python's _get_closed_form_lr,
// with the same double arithmetic in the same order, so the sequences match bit for bit.
#include "lr_scheduler.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace microtorch::optim {

static constexpr double kPi = 3.141592653589793;  // Python's math.pi

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(&optimizer) {
  for (auto& group : optimizer.param_groups()) {
    if (!group.initial_lr()) group.set_initial_lr(group.options().get_lr());  // group.setdefault('initial_lr', lr)
    base_lrs_.push_back(*group.initial_lr());
  }
}

std::vector<double> LRScheduler::current_lrs() const {
  std::vector<double> out;
  for (const auto& group : std::as_const(*optimizer_).param_groups()) out.push_back(group.options().get_lr());
  return out;
}

std::vector<double> LRScheduler::current_lrs_times(double factor) const {
  std::vector<double> lrs = current_lrs();
  for (double& lr : lrs) lr = lr * factor;
  return lrs;
}

std::vector<double> LRScheduler::from_base_lrs(const std::function<double(double)>& f) const {
  std::vector<double> out;
  for (double base : base_lrs_) out.push_back(f(base));
  return out;
}

void LRScheduler::apply(const std::vector<double>& lrs) {
  size_t i = 0;
  for (auto& group : optimizer_->param_groups()) group.options().set_lr(lrs[i++]);
  last_lr_ = current_lrs();
}

void LRScheduler::initial_step() {
  step_count_ = 0;
  step();
}

void LRScheduler::step() {
  ++step_count_;
  ++last_epoch_;
  apply(get_lr());
}

void LRScheduler::step(int64_t epoch) {
  ++step_count_;
  last_epoch_ = epoch;
  apply(closed_form_lr());
}

// --- LambdaLR: base_lr * lambda(epoch) ---

LambdaLR::LambdaLR(Optimizer& optimizer, std::function<double(int64_t)> lr_lambda)
    : LRScheduler(optimizer), lr_lambda_(std::move(lr_lambda)) {
  if (!lr_lambda_) throw std::invalid_argument("LambdaLR: lr_lambda is empty");
  initial_step();
}

std::vector<double> LambdaLR::get_lr() {
  return from_base_lrs([&](double base) { return base * lr_lambda_(last_epoch_); });
}

// --- StepLR: lr * gamma at every multiple of step_size ---

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  if (step_size < 1) throw std::invalid_argument("StepLR: step_size must be >= 1, got " + std::to_string(step_size));
  initial_step();
}

std::vector<double> StepLR::get_lr() {
  if (last_epoch_ == 0 || last_epoch_ % step_size_ != 0) return current_lrs();
  return current_lrs_times(gamma_);
}

std::vector<double> StepLR::closed_form_lr() {
  const double steps = static_cast<double>(last_epoch_ / step_size_);
  return from_base_lrs([&](double base) { return base * std::pow(gamma_, steps); });
}

// --- ExponentialLR: lr * gamma every epoch ---

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : LRScheduler(optimizer), gamma_(gamma) {
  initial_step();
}

std::vector<double> ExponentialLR::get_lr() { return last_epoch_ == 0 ? current_lrs() : current_lrs_times(gamma_); }

std::vector<double> ExponentialLR::closed_form_lr() {
  return from_base_lrs([&](double base) { return base * std::pow(gamma_, static_cast<double>(last_epoch_)); });
}

// --- LinearLR: factor from start_factor to end_factor over total_iters epochs ---

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, int64_t total_iters)
    : LRScheduler(optimizer), start_factor_(start_factor), end_factor_(end_factor), total_iters_(total_iters) {
  if (!(start_factor >= 0.0 && start_factor <= 1.0))
    throw std::invalid_argument("LinearLR: start_factor must be in [0, 1], got " + std::to_string(start_factor));
  if (!(end_factor >= 0.0 && end_factor <= 1.0))
    throw std::invalid_argument("LinearLR: end_factor must be in [0, 1], got " + std::to_string(end_factor));
  if (total_iters < 1) throw std::invalid_argument("LinearLR: total_iters must be >= 1, got " + std::to_string(total_iters));
  initial_step();
}

std::vector<double> LinearLR::get_lr() {
  if (last_epoch_ == 0) return current_lrs_times(start_factor_);
  if (last_epoch_ > total_iters_) return current_lrs();
  const double delta = end_factor_ - start_factor_;
  return current_lrs_times(1.0 + delta / (static_cast<double>(total_iters_) * start_factor_ +
                                          static_cast<double>(last_epoch_ - 1) * delta));
}

std::vector<double> LinearLR::closed_form_lr() {
  const double reached = static_cast<double>(std::min(total_iters_, last_epoch_));
  return from_base_lrs([&](double base) {
    return base * (start_factor_ + (end_factor_ - start_factor_) * reached / static_cast<double>(total_iters_));
  });
}

// --- CosineAnnealingLR ---

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min)
    : LRScheduler(optimizer), T_max_(T_max), eta_min_(eta_min) {
  if (T_max < 1) throw std::invalid_argument("CosineAnnealingLR: T_max must be >= 1, got " + std::to_string(T_max));
  initial_step();
}

std::vector<double> CosineAnnealingLR::get_lr() {
  std::vector<double> lrs = current_lrs();
  const double T = static_cast<double>(T_max_), e = static_cast<double>(last_epoch_);
  if (last_epoch_ == 0) return lrs;
  if ((last_epoch_ - 1 - T_max_) % (2 * T_max_) == 0) {  // past the minimum: the cosine's next half
    for (size_t i = 0; i < lrs.size(); ++i) lrs[i] = lrs[i] + (base_lrs_[i] - eta_min_) * (1.0 - std::cos(kPi / T)) / 2.0;
    return lrs;
  }
  for (double& lr : lrs)
    lr = (1.0 + std::cos(kPi * e / T)) / (1.0 + std::cos(kPi * (e - 1.0) / T)) * (lr - eta_min_) + eta_min_;
  return lrs;
}

std::vector<double> CosineAnnealingLR::closed_form_lr() {
  const double cosine = std::cos(kPi * static_cast<double>(last_epoch_) / static_cast<double>(T_max_));
  return from_base_lrs([&](double base) { return eta_min_ + (base - eta_min_) * (1.0 + cosine) / 2.0; });
}

// --- SequentialLR ---

SequentialLR::SequentialLR(Optimizer& optimizer, std::vector<LRScheduler*> schedulers, std::vector<int64_t> milestones)
    : LRScheduler(optimizer), schedulers_(std::move(schedulers)), milestones_(std::move(milestones)) {
  if (schedulers_.empty()) throw std::invalid_argument("SequentialLR: no schedulers given");
  for (size_t i = 0; i < schedulers_.size(); ++i)
    if (!schedulers_[i] || schedulers_[i]->optimizer_ != &optimizer)
      throw std::invalid_argument("SequentialLR: scheduler " + std::to_string(i) +
                                  " does not belong to the optimizer given (every scheduler must)");
  if (milestones_.size() != schedulers_.size() - 1)
    throw std::invalid_argument("SequentialLR: " + std::to_string(schedulers_.size()) + " schedulers need " +
                                std::to_string(schedulers_.size() - 1) + " milestones, got " +
                                std::to_string(milestones_.size()));
  last_epoch_ = 0;
  for (auto& group : optimizer.param_groups()) group.options().set_lr(*group.initial_lr());  // back to the start
  for (LRScheduler* s : schedulers_) --s->last_epoch_;  // undo the step each made when constructed
  schedulers_[0]->initial_step();
  last_lr_ = schedulers_[0]->get_last_lr();
}

void SequentialLR::step() {
  ++last_epoch_;
  const size_t idx = static_cast<size_t>(std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) -
                                         milestones_.begin());
  LRScheduler* s = schedulers_[idx];
  if (idx > 0 && milestones_[idx - 1] == last_epoch_) s->step(0);  // the next scheduler starts at its epoch 0
  else s->step();
  last_lr_ = s->get_last_lr();
}

}  // namespace microtorch::optim
