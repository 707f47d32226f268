// The optimizer base: parameter groups and checked state (optimizer.h).
#include "optimizer.h"

#include <algorithm>
#include <cmath>
#include <typeinfo>
#include <stdexcept>
#include <unordered_map>

#include "../core/grad.h"
#include "../core/grad/door.h"
#include "../nn/module.h"

namespace microtorch::optim {

void check_option(bool ok, const char* who, const char* what, double v, const char* expected) {
  if (!ok)
    throw std::invalid_argument(std::string(who) + ": invalid " + what + " " + std::to_string(v) + " (expected " +
                                expected + ")");
}

double checked_lr(const char* who, double lr) {
  check_option(lr >= 0.0, who, "learning rate", lr, ">= 0");
  return lr;
}

OptimizerParamGroup::OptimizerParamGroup(std::vector<Tensor> params) : params_(std::move(params)) {}
OptimizerParamGroup::OptimizerParamGroup(std::vector<Tensor> params, std::unique_ptr<OptimizerOptions> options)
    : params_(std::move(params)), options_(std::move(options)) {}
OptimizerParamGroup::OptimizerParamGroup(const OptimizerParamGroup& other)
    : params_(other.params_), options_(other.options_ ? other.options_->clone() : nullptr),
      initial_lr_(other.initial_lr_) {}
OptimizerParamGroup& OptimizerParamGroup::operator=(const OptimizerParamGroup& other) {
  if (this != &other) {
    params_ = other.params_;
    options_ = other.options_ ? other.options_->clone() : nullptr;
    initial_lr_ = other.initial_lr_;
  }
  return *this;
}

OptimizerOptions& OptimizerParamGroup::options() const {
  if (!options_) throw std::logic_error("OptimizerParamGroup: this group has no options of its own yet");
  return *options_;
}

std::vector<OptimizerParamGroup> Optimizer::one_group(const std::vector<Tensor>& params) {
  std::vector<OptimizerParamGroup> groups;
  groups.emplace_back(params);
  return groups;
}

Optimizer::Optimizer(std::vector<OptimizerParamGroup> groups, std::unique_ptr<OptimizerOptions> defaults, const char* who)
    : who_(who), groups_(std::move(groups)), defaults_(std::move(defaults)) {
  for (size_t g = 0; g < groups_.size(); ++g) {
    OptimizerParamGroup& group = groups_[g];
    if (group.options_ && typeid(*group.options_) != typeid(*defaults_))
      throw std::invalid_argument(std::string(who) + ": parameter group " + std::to_string(g) +
                                  " has options of another optimizer");
    if (!group.options_) group.options_ = defaults_->clone();
    group.params_ = nn::unique_tensors(group.params_);  // a parameter listed twice is updated once
    for (const Tensor& p : group.params_) {
      if ((p.dtype() != kFloat32 && p.dtype() != kFloat64) || !p.is_leaf())
        throw std::invalid_argument(std::string(who) + ": parameters must be float32 or float64 leaf tensors, got a " +
                                    dtype_name(p.dtype()) + (p.is_leaf() ? " leaf" : " non-leaf") + " of shape " +
                                    shape_str(p.shape()));
      for (const Tensor& q : params_)
        if (q.is_same(p))
          throw std::invalid_argument(std::string(who) + ": a parameter of shape " + shape_str(p.shape()) +
                                      " appears in more than one parameter group (group " + std::to_string(g) + ")");
      params_.push_back(p);
      group_of_.push_back(g);
    }
  }
}

Optimizer::Optimizer(const Optimizer& other)
    : who_(other.who_), groups_(other.groups_), defaults_(other.defaults_->clone()), params_(other.params_),
      group_of_(other.group_of_) {}

Optimizer& Optimizer::operator=(const Optimizer& other) {
  if (this != &other) {
    who_ = other.who_;
    groups_ = other.groups_;
    defaults_ = other.defaults_->clone();
    params_ = other.params_;
    group_of_ = other.group_of_;
  }
  return *this;
}

grad::RowWalk& Optimizer::row_walk() {
  if (!row_walk_) row_walk_ = std::make_shared<grad::RowWalk>();
  return *row_walk_;
}

void Optimizer::zero_grad() {
  for (const Tensor& p : params_) microtorch::zero_grad(p);
}

std::pair<Dtype, Shape> Optimizer::state_layout(const std::string& kind, size_t i) const {
  if (kind == "step") return {kInt64, {1}};
  return {params_.at(i).dtype(), params_.at(i).shape()};
}

void Optimizer::check_state_values(const std::string& name, const Tensor& t, bool non_negative) const {
  if (!t.defined()) return;
  const Tensor values = t.to(kFloat64).contiguous();  // exact for float32 and float64 state
  const double* v = values.data_ptr<double>();
  for (int64_t k = 0; k < t.numel(); ++k)
    if (!std::isfinite(v[k]) || (non_negative && v[k] < 0.0))
      throw std::invalid_argument(std::string(who_) + " state: tensor '" + name + "' holds " + std::to_string(v[k]) +
                                  " at flat index " + std::to_string(k) + " (expected " +
                                  (non_negative ? "finite values >= 0" : "finite values") + ")");
}

std::vector<std::vector<Tensor>> Optimizer::checked_state(const OptimizerState& state) const {
  const std::vector<std::string> kinds = state_kinds();
  std::vector<std::vector<Tensor>> found(kinds.size(), std::vector<Tensor>(params_.size()));
  std::string names;
  for (const std::string& k : kinds) names += (names.empty() ? "" : ", ") + k + ".<i>";
  for (const auto& [name, t] : state) {
    const size_t dot = name.rfind('.');
    const auto kind = std::find(kinds.begin(), kinds.end(), name.substr(0, dot == std::string::npos ? 0 : dot));
    size_t i = params_.size();
    if (dot != std::string::npos && dot + 1 < name.size() &&
        name.find_first_not_of("0123456789", dot + 1) == std::string::npos && name.size() - dot - 1 < 10)
      i = std::stoul(name.substr(dot + 1));
    if (kind == kinds.end() || i >= params_.size())
      throw std::runtime_error(std::string(who_) + " state: unexpected tensor '" + name + "' (expected " + names +
                                  " for i < " + std::to_string(params_.size()) + ")");
    const auto [dtype, shape] = state_layout(*kind, i);
    if (!t.defined() || t.dtype() != dtype || t.shape() != shape)
      throw std::invalid_argument(std::string(who_) + " state: tensor '" + name + "' must be " + dtype_name(dtype) +
                                  " of shape " + shape_str(shape) + ", got " +
                                  (t.defined() ? dtype_name(t.dtype()) + " of shape " + shape_str(t.shape()) : "undefined"));
    Tensor& slot = found[kind - kinds.begin()][i];
    if (slot.defined())
      throw std::invalid_argument(std::string(who_) + " state: tensor '" + name + "' appears twice");
    slot = t.clone().detach();
  }
  return found;
}

}  // namespace microtorch::optim
