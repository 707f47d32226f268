// Sequential, ModuleList and ModuleDict (containers.h): each module goes into the shared list and is
// registered as a child, so the tree lists it under its position or name.
#include "containers.h"

#include <algorithm>

namespace microtorch::nn {

Tensor AnyModule::forward(const Tensor& x) const {
  if (!forward_)
    throw std::logic_error("AnyModule::forward: the module held has no Tensor forward(const Tensor&); call its own "
                           "forward through get<M>()");
  return forward_(x);
}

static std::out_of_range index_error(const char* who, size_t i, size_t size) {
  return std::out_of_range(std::string(who) + ": index " + std::to_string(i) + " is out of range for " +
                           std::to_string(size) + " modules");
}

// --- Sequential and ModuleList ---

ModuleSequence& ModuleSequence::operator=(const ModuleSequence& other) {
  take_children_(other);
  *items_ = *other.items_;
  return *this;
}

void ModuleSequence::push_back(const AnyModule& module) { push_named(std::to_string(items_->size()), module); }

void ModuleSequence::push_named(const std::string& name, const AnyModule& module) {
  register_module(name, module.module());  // checks the name first
  items_->push_back(module);
}

AnyModule& ModuleSequence::operator[](size_t i) const {
  if (i >= items_->size()) throw index_error(kind_, i, items_->size());
  return (*items_)[i];
}

Tensor Sequential::forward(const Tensor& x) const {
  Tensor y = x;
  for (const AnyModule& m : *this) y = m.forward(y);
  return y;
}

// --- ModuleDict ---

ModuleDict& ModuleDict::operator=(const ModuleDict& other) {
  take_children_(other);
  *items_ = *other.items_;
  return *this;
}

void ModuleDict::insert(const std::string& name, const AnyModule& module) {
  auto it = std::find_if(items_->begin(), items_->end(), [&](const auto& item) { return item.first == name; });
  set_child_(name, module.module());  // registers (checking the name) or replaces
  if (it != items_->end()) it->second = module;
  else items_->emplace_back(name, module);
}

bool ModuleDict::contains(const std::string& name) const {
  return std::any_of(items_->begin(), items_->end(), [&](const auto& item) { return item.first == name; });
}

AnyModule& ModuleDict::operator[](const std::string& name) const {
  for (auto& item : *items_)
    if (item.first == name) return item.second;
  std::string held;
  for (const auto& item : *items_) held += (held.empty() ? "'" : ", '") + item.first + "'";
  throw std::out_of_range("ModuleDict: no module named '" + name + "' (it holds " +
                          (held.empty() ? std::string("none") : held) + ")");
}

std::vector<std::string> ModuleDict::keys() const {
  std::vector<std::string> out;
  for (const auto& item : *items_) out.push_back(item.first);
  return out;
}

}  // namespace microtorch::nn
