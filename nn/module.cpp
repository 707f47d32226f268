#include "module.h"

#include <algorithm>
#include <stdexcept>
#include <unordered_set>

#include "../core/grad.h"

namespace microtorch::nn {

std::vector<Tensor> unique_tensors(const std::vector<Tensor>& params) {
  std::vector<Tensor> out;
  for (const Tensor& p : params) {
    if (!p.defined()) continue;
    bool seen = std::any_of(out.begin(), out.end(), [&](const Tensor& q) { return q.is_same(p); });
    if (!seen) out.push_back(p);
  }
  return out;
}

static bool name_taken(const Module::State& s, const std::string& name) {
  auto same = [&](const auto& entry) { return entry.first == name; };
  return std::any_of(s.parameters.begin(), s.parameters.end(), same) ||
         std::any_of(s.children.begin(), s.children.end(), same);
}

static void check_new_name(const char* what, const Module::State& s, const std::string& name) {
  if (name.empty()) throw std::invalid_argument(std::string(what) + ": the name must not be empty");
  if (name_taken(s, name))
    throw std::invalid_argument(std::string(what) + ": name '" + name + "' is already registered in this module");
}

// Depth-first over the tree: own parameters, then each child under "prefix.child.", skipping seen tensors.
static void collect(const Module::State& s, const std::string& prefix, std::unordered_set<const TensorImpl*>& seen,
                    NamedParameters& out) {
  for (const auto& [name, t] : s.parameters)
    if (t.defined() && seen.insert(t.unsafeGetTensorImpl()).second) out.emplace_back(prefix + name, t);
  for (const auto& [name, child] : s.children) collect(*child, prefix + name + ".", seen, out);
}

static bool reaches(const Module::State& from, const Module::State* target) {
  if (&from == target) return true;
  return std::any_of(from.children.begin(), from.children.end(),
                     [&](const auto& c) { return reaches(*c.second, target); });
}

static void set_training(Module::State& s, bool on) {
  s.training = on;
  for (auto& c : s.children) set_training(*c.second, on);
}

NamedParameters Module::named_parameters() const {
  sync_parameters_();
  std::unordered_set<const TensorImpl*> seen;
  NamedParameters out;
  collect(*state_, "", seen, out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> all;
  for (const auto& named : named_parameters()) all.push_back(named.second);
  return unique_tensors(all);  // an overriding named_parameters() may list a tensor twice
}

Tensor Module::register_parameter(const std::string& name, Tensor t) {
  check_new_name("register_parameter", *state_, name);
  if (!t.defined()) throw std::invalid_argument("register_parameter: '" + name + "' is an undefined tensor");
  if (!t.is_leaf())
    throw std::invalid_argument("register_parameter: '" + name +
                                "' is the result of an op (not a leaf); register t.detach() or a fresh tensor");
  t.requires_grad_(true);
  state_->parameters.emplace_back(name, t);
  return t;
}

void Module::register_module(const std::string& name, const Module& child) {
  check_new_name("register_module", *state_, name);
  if (reaches(*child.state_, state_.get()))
    throw std::invalid_argument("register_module: '" + name + "' is this module or one of its ancestors (a cycle)");
  child.sync_parameters_();
  state_->children.emplace_back(name, child.state_);
}

void Module::set_parameter_(const std::string& name, const Tensor& t) const {
  auto& params = state_->parameters;
  auto it = std::find_if(params.begin(), params.end(), [&](const auto& p) { return p.first == name; });
  if (!t.defined()) {
    if (it != params.end()) params.erase(it);
  } else if (it != params.end()) {
    it->second = t;
  } else {
    params.emplace_back(name, t);
  }
}

void Module::train(bool on) { set_training(*state_, on); }

void Module::zero_grad() {
  for (const Tensor& p : parameters()) microtorch::zero_grad(p);
}

}  // namespace microtorch::nn
