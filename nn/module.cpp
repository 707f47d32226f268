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
// Its own stack of (state, next child, prefix length) and one prefix string, grown on the way down and cut
// on the way up: the depth of the tree is not the depth of the C++ stack, and a chain of 200,000 modules
// does not build 200,000 prefixes of up to 400,000 characters each.
static void collect(const Module::State& root, std::unordered_set<const TensorImpl*>& seen, NamedParameters& out) {
  struct Frame {
    const Module::State* s;
    size_t next_child, prefix_size;
  };
  std::string prefix;
  auto own = [&](const Module::State& s) {
    for (const auto& [name, t] : s.parameters)
      if (t.defined() && seen.insert(t.unsafeGetTensorImpl()).second) out.emplace_back(prefix + name, t);
  };
  own(root);
  std::vector<Frame> stack{{&root, 0, 0}};
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (f.next_child == f.s->children.size()) {
      stack.pop_back();
      continue;
    }
    const auto& [name, child] = f.s->children[f.next_child++];
    prefix.resize(f.prefix_size);
    prefix += name;
    prefix += '.';
    own(*child);
    stack.push_back({child.get(), 0, prefix.size()});  // f may dangle from here on
  }
}

// The tree walks below keep their own stack: a chain of 200,000 nested modules is fine, and a State
// registered under several parents is visited once.
static bool reaches(const Module::State& from, const Module::State* target) {
  std::vector<const Module::State*> todo{&from};
  std::unordered_set<const Module::State*> seen{&from};
  while (!todo.empty()) {
    const Module::State* s = todo.back();
    todo.pop_back();
    if (s == target) return true;
    for (const auto& c : s->children)
      if (seen.insert(c.second.get()).second) todo.push_back(c.second.get());
  }
  return false;
}

static void set_training(Module::State& root, bool on) {
  std::vector<Module::State*> todo{&root};
  std::unordered_set<Module::State*> seen{&root};
  while (!todo.empty()) {
    Module::State* s = todo.back();
    todo.pop_back();
    s->training = on;
    for (auto& c : s->children)
      if (seen.insert(c.second.get()).second) todo.push_back(c.second.get());
  }
}

// A dying State hands each child it holds the last reference to to a local list, emptied in a loop,
// instead of destroying it in a nested call.
Module::State::~State() {
  std::vector<std::shared_ptr<State>> doomed;
  auto take_children = [&doomed](State& s) {
    for (auto& c : s.children)
      if (c.second.use_count() == 1) doomed.push_back(std::move(c.second));
    s.children.clear();
  };
  take_children(*this);
  while (!doomed.empty()) {
    std::shared_ptr<State> s = std::move(doomed.back());
    doomed.pop_back();
    take_children(*s);
  }
}

NamedParameters Module::named_parameters() const {
  sync_parameters_();
  std::unordered_set<const TensorImpl*> seen;
  NamedParameters out;
  collect(*state_, seen, out);
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
