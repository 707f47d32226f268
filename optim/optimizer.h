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
#include <tuple>
#include <utility>
#include <vector>

#include "../core/arg.h"
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

 protected:
  // Options are copied as their own type (SGDOptions = SGDOptions), never through the base, which would
  // change nothing: `group.options() = SGDOptions(0.1)` does not compile.
  OptimizerOptions() = default;
  OptimizerOptions(const OptimizerOptions&) = default;
  OptimizerOptions& operator=(const OptimizerOptions&) = default;
};

// Throws std::invalid_argument("<who>: invalid <what> <v> (expected <expected>)") unless ok.
void check_option(bool ok, const char* who, const char* what, double v, const char* expected);
// lr itself, or std::invalid_argument naming `who` for a negative or NaN lr (every set_lr).
double checked_lr(const char* who, double lr);

using betas_t = std::tuple<double, double>;  // the Adam family's (beta1, beta2)

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
  // The group's options, to read or to change (set_lr) in place; std::logic_error if the group has none
  // (never inside an optimizer).
  OptimizerOptions& options() const;
  // The lr the first learning-rate scheduler on this group found (PyTorch's group['initial_lr']): the base
  // of every scheduler's schedule. Unset until a scheduler is made (lr_scheduler.h); like the options, it is
  // schedule state that a const group still lets change.
  const std::optional<double>& initial_lr() const { return initial_lr_; }
  void set_initial_lr(double lr) const { initial_lr_ = lr; }

 private:
  friend class Optimizer;
  std::vector<Tensor> params_;
  std::unique_ptr<OptimizerOptions> options_;
  mutable std::optional<double> initial_lr_;
};

// The groups of an optimizer: their options may change in place (set_lr), but a group cannot be replaced
// (which could hand the optimizer another optimizer's options) and its parameters cannot change: the groups
// are handed out const, and options() of a const group is still the live, writable options.
class ParamGroups {
 public:
  explicit ParamGroups(const std::vector<OptimizerParamGroup>& groups) : groups_(&groups) {}
  const OptimizerParamGroup& operator[](size_t i) const { return groups_->at(i); }
  size_t size() const { return groups_->size(); }
  std::vector<OptimizerParamGroup>::const_iterator begin() const { return groups_->begin(); }
  std::vector<OptimizerParamGroup>::const_iterator end() const { return groups_->end(); }

 private:
  const std::vector<OptimizerParamGroup>* groups_;
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
  // Checks the groups (float32 leaves, no parameter in two groups, options of the defaults' own type) and
  // gives a group without options a copy of the defaults. `who` names the optimizer.
  Optimizer(std::vector<OptimizerParamGroup> groups, std::unique_ptr<OptimizerOptions> defaults, const char* who);
  static std::vector<OptimizerParamGroup> one_group(const std::vector<Tensor>& params);  // a plain list's group
  size_t group_of(size_t i) const { return group_of_[i]; }  // the group of params()[i]
  // params()[i]'s options, as the optimizer's own options type O (the constructor checked every group's type).
  template <class O> const O& options_of(size_t i) const {
    return static_cast<const O&>(groups_[group_of_[i]].options());
  }
  // The state entries by index: found[kind][i], each checked against state_layout; throws before returning.
  std::vector<std::vector<Tensor>> checked_state(const OptimizerState& state) const;
  // std::invalid_argument naming `name` unless every value of the float32 state tensor t is finite (and >= 0
  // when non_negative): a NaN, an Inf or a negative second moment would turn every later step into NaN.
  void check_state_values(const std::string& name, const Tensor& t, bool non_negative) const;
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
