// Containers of modules, as PyTorch's, with its dotted names ("0.weight", "fc.weight"):
//   mt::nn::Sequential seq(mt::nn::Linear(mt::nn::LinearOptions(3, 8)), mt::nn::Tanh(), mt::nn::Linear(...));
//   seq(x);                                   // each module's forward in turn
//   mt::nn::ModuleList list; list.push_back(block); list[0](x); list[0].get<Block>().fc.weight;
//   mt::nn::ModuleDict dict; dict.insert("fc", mt::nn::Linear(...)); dict.contains("fc"); dict["fc"](x);
// A container holds its modules as AnyModule: a copy of the module (the same module, module.h) behind a
// type-erased forward. Copies of a container share its list, as they share its State.
#pragma once
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "module.h"

namespace microtorch::nn {

// True for a module type with Tensor forward(const Tensor&), the one forward a container can call.
template <class M, class = void> struct has_tensor_forward : std::false_type {};
template <class M>
struct has_tensor_forward<M, std::void_t<decltype(std::declval<M&>().forward(std::declval<const Tensor&>()))>>
    : std::true_type {};

// Any module, held as its own type; forward() calls its forward(const Tensor&) (std::logic_error naming the
// type if it has none, as a ModuleList of blocks with other forwards may hold).
class AnyModule {
 public:
  template <class M, class = std::enable_if_t<std::is_base_of_v<Module, M>>>
  AnyModule(const M& module) : module_(std::make_shared<M>(module)) {  // NOLINT: converts, as libtorch's
    if constexpr (has_tensor_forward<M>::value) {
      std::shared_ptr<M> typed = std::static_pointer_cast<M>(module_);
      forward_ = [typed](const Tensor& x) { return typed->forward(x); };
    }
  }
  Tensor forward(const Tensor& x) const;
  Tensor operator()(const Tensor& x) const { return forward(x); }
  Module& module() const { return *module_; }  // named_parameters(), eval(), state_dict(), ...
  // The module as its own type: list[0].get<Linear>().weight (std::invalid_argument for another type).
  template <class M> M& get() const {
    if (auto* typed = dynamic_cast<M*>(module_.get())) return *typed;
    throw std::invalid_argument("AnyModule::get: the module held is not of the type asked for");
  }

 private:
  std::shared_ptr<Module> module_;
  std::function<Tensor(const Tensor&)> forward_;
};

// What Sequential and ModuleList share: a list of modules by position, each registered as a child under its
// position ("0", "1", ...) or, in a Sequential, a name given. `kind` names the container in errors.
class ModuleSequence : public Module {
 public:
  explicit ModuleSequence(const char* kind) : kind_(kind) {}
  ModuleSequence(const ModuleSequence&) = default;         // the same container
  ModuleSequence& operator=(const ModuleSequence& other);  // this container now holds other's modules

  void push_back(const AnyModule& module);  // named by its position
  size_t size() const { return items_->size(); }
  AnyModule& operator[](size_t i) const;  // std::out_of_range naming i and the size
  std::vector<AnyModule>::const_iterator begin() const { return items_->begin(); }
  std::vector<AnyModule>::const_iterator end() const { return items_->end(); }
  void reset() {}

 protected:
  void push_named(const std::string& name, const AnyModule& module);  // registers the module (checking the name)

 private:
  const char* kind_;
  std::shared_ptr<std::vector<AnyModule>> items_ = std::make_shared<std::vector<AnyModule>>();
};

// Modules called one after the other; registered as "0", "1", ... (or the names given to push_back).
class Sequential : public ModuleSequence {
 public:
  Sequential() : ModuleSequence("Sequential") {}
  template <class... Ms, class = std::enable_if_t<(sizeof...(Ms) > 0) &&
                                                  (... && (std::is_base_of_v<Module, Ms> ||
                                                           std::is_same_v<Ms, AnyModule>))>>
  explicit Sequential(const Ms&... modules) : Sequential() {
    (push_back(AnyModule(modules)), ...);
  }
  using ModuleSequence::push_back;
  void push_back(const std::string& name, const AnyModule& module) { push_named(name, module); }  // named as given
  Tensor forward(const Tensor& x) const;  // x through every module in order (x itself when empty)
  Tensor operator()(const Tensor& x) const { return forward(x); }
};

// A list of modules registered as "0", "1", ...; no forward of its own.
class ModuleList : public ModuleSequence {
 public:
  ModuleList() : ModuleSequence("ModuleList") {}
};

// Modules by name, in insertion order; inserting a name again replaces its module (as PyTorch's).
class ModuleDict : public Module {
 public:
  ModuleDict() = default;
  ModuleDict(const ModuleDict&) = default;
  ModuleDict& operator=(const ModuleDict& other);
  void insert(const std::string& name, const AnyModule& module);
  bool contains(const std::string& name) const;
  AnyModule& operator[](const std::string& name) const;  // std::out_of_range naming the key and the keys held
  size_t size() const { return items_->size(); }
  std::vector<std::string> keys() const;
  std::vector<std::pair<std::string, AnyModule>>::const_iterator begin() const { return items_->begin(); }
  std::vector<std::pair<std::string, AnyModule>>::const_iterator end() const { return items_->end(); }
  void reset() {}

 private:
  std::shared_ptr<std::vector<std::pair<std::string, AnyModule>>> items_ =
      std::make_shared<std::vector<std::pair<std::string, AnyModule>>>();
};

}  // namespace microtorch::nn
