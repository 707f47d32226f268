// The optimizer base, as libtorch's: parameter groups, each with its own options (the learning rate can be
// changed between steps), zero_grad, step, and per-parameter state read through const accessors.
//   std::vector<OptimizerParamGroup> groups{OptimizerParamGroup(decay),
//       OptimizerParamGroup(no_decay, std::make_unique<AdamWOptions>(AdamWOptions(1e-3).weight_decay(0.0)))};
//   AdamW opt(groups, AdamWOptions(1e-3).weight_decay(0.1));     // a group without options gets these
//   for (auto& g : opt.param_groups()) g.options().set_lr(lr);
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../core/tensor.h"

namespace microtorch::grad {
class RowWalk;  // core/grad/door.h: the rows of a row gradient, for optimizers that update rows only
}

namespace microtorch::optim {

// What every optimizer's options share. set_lr is checked (std::invalid_argument for a negative or NaN lr).
class OptimizerOptions {
 public:
  virtual ~OptimizerOptions() = default;
  virtual std::unique_ptr<OptimizerOptions> clone() const = 0;
  virtual double get_lr() const = 0;
  virtual void set_lr(double lr) = 0;
};

// Throws std::invalid_argument("<who>: invalid <what> <v> (expected <expected>)") unless ok.
void check_option(bool ok, const char* who, const char* what, double v, const char* expected);

class OptimizerParamGroup {
 public:
  OptimizerParamGroup(std::vector<Tensor> params);  // options: the optimizer's defaults
  OptimizerParamGroup(std::vector<Tensor> params, std::unique_ptr<OptimizerOptions> options);
  OptimizerParamGroup(const OptimizerParamGroup& other);
  OptimizerParamGroup& operator=(const OptimizerParamGroup& other);
  OptimizerParamGroup(OptimizerParamGroup&&) = default;
  OptimizerParamGroup& operator=(OptimizerParamGroup&&) = default;

  const std::vector<Tensor>& params() const { return params_; }
  bool has_options() const { return options_ != nullptr; }
  OptimizerOptions& options();  // std::logic_error if the group has none (never inside an optimizer)
  const OptimizerOptions& options() const;
  // The lr the first learning-rate scheduler on this group found (PyTorch's group['initial_lr']): the base
  // of every scheduler's schedule. Unset until a scheduler is made (lr_scheduler.h).
  const std::optional<double>& initial_lr() const { return initial_lr_; }
  void set_initial_lr(double lr) { initial_lr_ = lr; }

 private:
  friend class Optimizer;
  std::vector<Tensor> params_;
  std::unique_ptr<OptimizerOptions> options_;
  std::optional<double> initial_lr_;
};

// The groups of an optimizer: their options may change (set_lr), the list and its parameters may not.
class ParamGroups {
 public:
  explicit ParamGroups(std::vector<OptimizerParamGroup>& groups) : groups_(&groups) {}
  OptimizerParamGroup& operator[](size_t i) { return groups_->at(i); }
  size_t size() const { return groups_->size(); }
  std::vector<OptimizerParamGroup>::iterator begin() { return groups_->begin(); }
  std::vector<OptimizerParamGroup>::iterator end() { return groups_->end(); }

 private:
  std::vector<OptimizerParamGroup>* groups_;
};

using OptimizerState = std::vector<std::pair<std::string, Tensor>>;  // named state tensors (checkpoints)

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // A copy has its own groups, options and state (the derived optimizers clone their state tensors).
  Optimizer(const Optimizer& other);
  Optimizer& operator=(const Optimizer& other);
  Optimizer(Optimizer&&) = default;
  Optimizer& operator=(Optimizer&&) = default;

  void zero_grad();       // every gradient becomes undefined (PyTorch 2's set_to_none)
  virtual void step() = 0;

  ParamGroups param_groups() { return ParamGroups(groups_); }
  const std::vector<OptimizerParamGroup>& param_groups() const { return groups_; }
  // Every parameter once, group after group: params()[i] is the i of the state names below.
  const std::vector<Tensor>& params() const { return params_; }
  const OptimizerOptions& defaults() const { return *defaults_; }
  std::string name() const { return who_; }  // "SGD", "Adam", "AdamW", "SparseAdam"

  // --- state, as checkpoints hold it: "<kind>.<i>" for params()[i] ---
  virtual std::vector<std::string> state_kinds() const = 0;  // e.g. {"momentum_buffer"}
  // The dtype and shape a state tensor of this kind must have for params()[i].
  virtual std::pair<Dtype, Shape> state_layout(const std::string& kind, size_t i) const;
  virtual OptimizerState state() const = 0;  // the state that exists, copied
  // Replaces the whole state (absent entries: none yet, as before a first step). Checks everything before
  // changing anything: an unknown name is std::runtime_error; a dtype or shape that does not fit, or entries
  // that do not fit together, std::invalid_argument.
  virtual void load_state(const OptimizerState& state) = 0;

 protected:
  // Checks the groups (float32 leaves, no parameter in two groups, options of the optimizer's type via
  // `same_type`) and gives a group without options a copy of the defaults. `who` names the optimizer.
  Optimizer(std::vector<OptimizerParamGroup> groups, std::unique_ptr<OptimizerOptions> defaults, const char* who,
            bool (*same_type)(const OptimizerOptions&));
  size_t group_of(size_t i) const { return group_of_[i]; }  // the group of params()[i]
  // The state entries by index: found[kind][i], each checked against state_layout; throws before returning.
  std::vector<std::vector<Tensor>> checked_state(const OptimizerState& state) const;
  // The walk over a row gradient's distinct rows (plain SGD, SparseAdam): one per optimizer, its scratch
  // kept between steps; a copy of the optimizer makes its own.
  grad::RowWalk& row_walk();
  const char* who_;

 private:
  std::shared_ptr<grad::RowWalk> row_walk_;
  std::vector<OptimizerParamGroup> groups_;
  std::unique_ptr<OptimizerOptions> defaults_;
  std::vector<Tensor> params_;
  std::vector<size_t> group_of_;
};

}  // namespace microtorch::optim
