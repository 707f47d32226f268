// The module tree (module.h): registration and its name rules, the walks that list parameters, buffers and
// modules under dotted names, assignment, and the State's release. Every walk is a loop over an explicit
// stack, so a tree of any depth neither recurses nor overflows the stack. load_state_dict is in state_dict.cpp.
#include "module.h"

#include <algorithm>
#include <stdexcept>
#include <unordered_set>

#include "../core/grad.h"

namespace microtorch::nn {

using State = Module::State;

std::vector<Tensor> unique_tensors(const std::vector<Tensor>& params) {
  std::vector<Tensor> out;
  std::unordered_set<const TensorImpl*> seen;
  for (const Tensor& p : params)
    if (p.defined() && seen.insert(p.unsafeGetTensorImpl()).second) out.push_back(p);
  return out;
}

// A State's children die with it unless someone else holds them: their children are taken over first, so
// releasing a chain of 200,000 modules is a loop, not 200,000 nested destructor calls.
Module::State::~State() {
  std::vector<std::shared_ptr<State>> doomed;
  for (auto& c : children)
    if (c.second) doomed.push_back(std::move(c.second));
  while (!doomed.empty()) {
    std::shared_ptr<State> s = std::move(doomed.back());
    doomed.pop_back();
    if (s.use_count() == 1)
      for (auto& c : s->children)
        if (c.second) doomed.push_back(std::move(c.second));
  }
}

// Visits `root` with prefix "", then every descendant pre-order (children in registration order) with its
// dotted prefix ("h.0." for the child h.0). once: a State reached again (registered twice) is skipped.
template <class Visit> static void walk(const std::shared_ptr<State>& root, bool once, Visit visit) {
  struct Frame {
    const std::shared_ptr<State>* state;
    size_t next_child, prefix_size;
  };
  std::string prefix;
  std::unordered_set<const State*> seen;
  std::vector<Frame> stack;
  auto enter = [&](const std::shared_ptr<State>& s) {
    if (once && !seen.insert(s.get()).second) return;
    visit(static_cast<const std::string&>(prefix), s);
    stack.push_back({&s, 0, prefix.size()});
  };
  enter(root);
  while (!stack.empty()) {
    Frame& top = stack.back();
    const auto& kids = (*top.state)->children;
    if (top.next_child == kids.size()) {
      stack.pop_back();
      continue;
    }
    const auto& [name, child] = kids[top.next_child++];
    prefix.resize(top.prefix_size);
    prefix += name;
    prefix += '.';
    enter(child);
  }
}

// a == b, or b continues a with a dot ("h" before "h.0").
static bool dotted_prefix(const std::string& a, const std::string& b) {
  return b.compare(0, a.size(), a) == 0 && (b.size() == a.size() || b[a.size()] == '.');
}

static void check_new_name(const char* what, const State& s, const std::string& name, bool dots_allowed) {
  const std::string who = std::string(what) + ": name '" + name + "'";
  if (name.empty()) throw std::invalid_argument(std::string(what) + ": the name must not be empty");
  if (!dots_allowed && name.find('.') != std::string::npos)
    throw std::invalid_argument(who + " contains \".\" (a parameter or buffer name has none, as PyTorch's)");
  if (name.front() == '.' || name.back() == '.' || name.find("..") != std::string::npos)
    throw std::invalid_argument(who + " has an empty part between dots");
  auto check = [&](const std::string& other) {
    if (other == name) throw std::invalid_argument(who + " is already registered in this module");
    if (dotted_prefix(other, name) || dotted_prefix(name, other))
      throw std::invalid_argument(who + " and the registered '" + other +
                                  "' would give one dotted name two meanings (expected neither to begin the other)");
  };
  for (const auto& entry : s.parameters) check(entry.first);
  for (const auto& entry : s.buffers) check(entry.first);
  for (const auto& entry : s.children) check(entry.first);
}

// True when `candidate` is `s` or registered above it. Searched from both ends in turn, one module at a time:
// down from candidate through children, up from s through parents. The first search to run out answers, so a
// check costs the smaller of the two sides, and a chain grown at either end stays linear.
static bool is_self_or_ancestor(const State* candidate, const std::shared_ptr<State>& s) {
  if (candidate == s.get()) return true;
  std::vector<const State*> down{candidate};
  std::vector<std::shared_ptr<State>> up{s};
  std::unordered_set<const State*> seen_down{candidate}, seen_up{s.get()};
  while (!down.empty() && !up.empty()) {
    const State* d = down.back();
    down.pop_back();
    for (const auto& c : d->children) {
      if (c.second.get() == s.get()) return true;
      if (seen_down.insert(c.second.get()).second) down.push_back(c.second.get());
    }
    std::shared_ptr<State> u = std::move(up.back());
    up.pop_back();
    for (const auto& parent : u->parents)
      if (auto p = parent.lock()) {
        if (p.get() == candidate) return true;
        if (seen_up.insert(p.get()).second) up.push_back(std::move(p));
      }
  }
  return false;
}

Module::Module() : state_(std::make_shared<State>()) {}

Module::Module(std::shared_ptr<State> state) : state_(std::move(state)) {
  if (!state_) throw std::invalid_argument("Module: the State handle is null");
}

// to's slots take from's tensors by name: a name from lacks is emptied, one to lacks is added.
static void assign_slots(Module::Slots& to, const Module::Slots& from) {
  for (auto& slot : to) slot.second = Tensor();
  for (const auto& entry : from) {  // not a structured binding: C++17 lambdas cannot capture one (clang refuses)
    auto it = std::find_if(to.begin(), to.end(), [&](const auto& slot) { return slot.first == entry.first; });
    if (it != to.end()) it->second = entry.second;
    else to.push_back(entry);
  }
}

Module& Module::operator=(const Module& other) {
  std::vector<std::pair<State*, const State*>> todo{{state_.get(), other.state_.get()}};
  while (!todo.empty()) {
    auto [to, from] = todo.back();
    todo.pop_back();
    if (to == from) continue;
    to->training = from->training;
    assign_slots(to->parameters, from->parameters);
    assign_slots(to->buffers, from->buffers);
    to->non_persistent = from->non_persistent;
    for (const auto& [name, child] : to->children)
      for (const auto& [from_name, from_child] : from->children)
        if (name == from_name) {
          todo.emplace_back(child.get(), from_child.get());
          break;
        }
  }
  return *this;
}

NamedParameters Module::named_parameters() const { return named_parameters(true); }

// The defined tensors of `slots` under prefix, each not seen before.
static void take_new(const std::string& prefix, const Module::Slots& slots, std::unordered_set<const TensorImpl*>& seen,
                     NamedParameters& out) {
  for (const auto& [name, t] : slots)
    if (t.defined() && seen.insert(t.unsafeGetTensorImpl()).second) out.emplace_back(prefix + name, t);
}

// The tensors of one kind of slot (kind: &State::parameters or &State::buffers) in root, or with recurse in its
// whole tree under dotted names; a tensor reached again is listed once.
static NamedParameters named_slots(const std::shared_ptr<State>& root, bool recurse, Module::Slots State::*kind) {
  NamedParameters out;
  std::unordered_set<const TensorImpl*> seen;
  if (!recurse) take_new("", (*root).*kind, seen, out);
  else walk(root, true, [&](const std::string& prefix, const auto& s) { take_new(prefix, (*s).*kind, seen, out); });
  return out;
}

NamedParameters Module::named_parameters(bool recurse) const {
  return named_slots(state_, recurse, &State::parameters);
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> all;
  for (const auto& named : recurse ? named_parameters() : named_parameters(false)) all.push_back(named.second);
  return unique_tensors(all);  // an overriding named_parameters() may list a tensor twice
}

NamedParameters Module::named_buffers(bool recurse) const { return named_slots(state_, recurse, &State::buffers); }

std::vector<Tensor> Module::buffers(bool recurse) const {
  std::vector<Tensor> out;
  for (const auto& named : named_buffers(recurse)) out.push_back(named.second);
  return out;
}

std::vector<std::pair<std::string, Module>> Module::named_modules() const {
  std::vector<std::pair<std::string, Module>> out;
  walk(state_, true, [&](const std::string& prefix, const std::shared_ptr<State>& s) {
    out.emplace_back(prefix.empty() ? prefix : prefix.substr(0, prefix.size() - 1), Module(s));
  });
  return out;
}

std::vector<Module> Module::modules() const {  // named_modules() without the names (a deep chain's are long)
  std::vector<Module> out;
  walk(state_, true, [&](const std::string&, const std::shared_ptr<State>& s) { out.emplace_back(s); });
  return out;
}

std::vector<std::pair<std::string, Module>> Module::named_children() const {
  std::vector<std::pair<std::string, Module>> out;
  std::unordered_set<const State*> seen;
  for (const auto& [name, child] : state_->children)
    if (seen.insert(child.get()).second) out.emplace_back(name, Module(child));
  return out;
}

std::vector<Module> Module::children() const {
  std::vector<Module> out;
  for (auto& named : named_children()) out.push_back(named.second);
  return out;
}

NamedParameters Module::state_dict() const {
  NamedParameters out = state_entries_();
  for (auto& entry : out) entry.second = entry.second.detach();
  return out;
}

NamedParameters Module::state_entries_() const {
  NamedParameters out;
  std::unordered_set<const TensorImpl*> reached;
  walk(state_, false, [&](const std::string& prefix, const std::shared_ptr<State>& s) {
    auto persistent = [&](const std::string& name) {
      return std::find(s->non_persistent.begin(), s->non_persistent.end(), name) == s->non_persistent.end();
    };
    for (const auto& [name, t] : s->parameters) {
      if (!t.defined()) continue;
      out.emplace_back(prefix + name, t);
      reached.insert(t.unsafeGetTensorImpl());
    }
    for (const auto& [name, t] : s->buffers)
      if (t.defined() && persistent(name)) out.emplace_back(prefix + name, t);
  });
  // A version-1 module lists parameters by overriding named_parameters() instead of registering them: those
  // the walk did not reach come first, under the names it gives.
  NamedParameters listed;
  for (const auto& [name, t] : named_parameters())
    if (t.defined() && !reached.count(t.unsafeGetTensorImpl())) listed.emplace_back(name, t);
  out.insert(out.begin(), listed.begin(), listed.end());
  return out;
}

Tensor& Module::register_optional_parameter_(const std::string& name, Tensor t) {
  check_new_name("register_parameter", *state_, name, false);
  if (t.defined() && !t.is_leaf())
    throw std::invalid_argument("register_parameter: '" + name +
                                "' is the result of an op (not a leaf); register t.detach() or a fresh tensor");
  if (t.defined()) t.requires_grad_(true);
  state_->parameters.emplace_back(name, t);
  return state_->parameters.back().second;
}

Tensor& Module::register_parameter(const std::string& name, Tensor t, bool requires_grad) {
  if (!t.defined()) throw std::invalid_argument("register_parameter: '" + name + "' is an undefined tensor");
  Tensor& slot = register_optional_parameter_(name, t);
  slot.requires_grad_(requires_grad);
  return slot;
}

Tensor& Module::register_optional_buffer_(const std::string& name, const Tensor& t) {
  check_new_name("register_buffer", *state_, name, false);
  state_->buffers.emplace_back(name, t);
  return state_->buffers.back().second;
}

Tensor& Module::register_buffer(const std::string& name, Tensor t, bool persistent) {
  if (!t.defined()) throw std::invalid_argument("register_buffer: '" + name + "' is an undefined tensor");
  Tensor& slot = register_optional_buffer_(name, t);
  if (!persistent) state_->non_persistent.push_back(name);
  return slot;
}

void Module::register_module(const std::string& name, const Module& child) {
  check_new_name("register_module", *state_, name, true);
  if (is_self_or_ancestor(child.state_.get(), state_))
    throw std::invalid_argument("register_module: '" + name + "' is this module or one of its ancestors (a cycle)");
  state_->children.emplace_back(name, child.state_);
  child.state_->parents.push_back(state_);
}

// Removes `parent` from s's parents (s is no longer registered in it).
static void unlink(State& s, const State* parent) {
  auto& ps = s.parents;
  ps.erase(std::remove_if(ps.begin(), ps.end(), [&](const auto& w) { return w.lock().get() == parent; }), ps.end());
}

void Module::set_child_(const std::string& name, const Module& child) {
  auto& kids = state_->children;
  auto it = std::find_if(kids.begin(), kids.end(), [&](const auto& c) { return c.first == name; });
  if (it == kids.end()) return register_module(name, child);
  if (is_self_or_ancestor(child.state_.get(), state_))
    throw std::invalid_argument("register_module: '" + name + "' is this module or one of its ancestors (a cycle)");
  const std::shared_ptr<State> old = it->second;
  it->second = child.state_;
  if (std::none_of(kids.begin(), kids.end(), [&](const auto& c) { return c.second == old; })) unlink(*old, state_.get());
  child.state_->parents.push_back(state_);
}

void Module::take_children_(const Module& other) {
  if (state_ == other.state_) return;
  for (const auto& [name, child] : other.state_->children)
    if (is_self_or_ancestor(child.get(), state_))
      throw std::invalid_argument("container assignment: the other container holds this one ('" + name + "'), a cycle");
  for (const auto& c : state_->children) unlink(*c.second, state_.get());
  state_->children = other.state_->children;
  for (const auto& c : state_->children) c.second->parents.push_back(state_);
  state_->training = other.state_->training;
}

void Module::train(bool on) {
  walk(state_, true, [on](const std::string&, const std::shared_ptr<State>& s) { s->training = on; });
}

void Module::zero_grad() {
  for (const Tensor& p : parameters()) microtorch::zero_grad(p);
}

}  // namespace microtorch::nn
