// nn::Module: the one shallow base. A module registers its parameters and its child modules by name;
// named_parameters() lists them under dotted names ("h.0.ln.weight"), each tensor once (a tied weight under
// its first name). A copy of a module shares its parameters and its train/eval mode, as a libtorch holder:
// all of that lives in one small shared State, so a copy never points into the object it was copied from.
//   struct Block : mt::nn::Module {
//     mt::nn::Linear fc{mt::nn::LinearOptions(64, 64)};
//     mt::Tensor scale;
//     Block() { register_module("fc", fc); scale = register_parameter("scale", mt::ones({64})); }
//   };
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../core/tensor.h"

namespace microtorch::nn {

using NamedParameters = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  // What copies of a module share: the mode, its own parameters and its children's states, in registration order.
  struct State {
    State() = default;
    ~State();  // iterative: 200,000 nested modules are released without one stack frame per level
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    bool training = true;
    NamedParameters parameters;
    std::vector<std::pair<std::string, std::shared_ptr<State>>> children;
  };

  Module() : state_(std::make_shared<State>()) {}
  virtual ~Module() = default;
  // A copy shares the State (there is deliberately no move: a moved-from module keeps a valid State).
  Module(const Module&) = default;
  Module& operator=(const Module&) = default;

  // Own parameters first, then each child's under "child.", in registration order, each tensor once
  // (de-duplicated by identity, undefined tensors skipped), as PyTorch's named_parameters(). A version-1 style
  // override is honoured when called on that module itself; a parent walks the registered States instead.
  virtual NamedParameters named_parameters() const;
  std::vector<Tensor> parameters() const;  // the tensors of named_parameters()

  // Registers t (requires_grad turned on) under name and returns it; a name is unique within its module.
  Tensor register_parameter(const std::string& name, Tensor t);
  // Registers child's State under name (dots allowed: "h.0"). The child may be a built-in or a user's
  // module; its parameters, mode and children are the ones its copies see. A built-in child's public
  // weight/bias are read at this moment: tie first (head.weight = wte.weight), then register.
  void register_module(const std::string& name, const Module& child);

  void train(bool on = true);  // this module and every registered descendant
  void eval() { train(false); }
  bool is_training() const { return state_->training; }
  void zero_grad();  // as PyTorch 2: every parameter's gradient becomes undefined

 protected:
  // Built-in modules whose public weight/bias may be reassigned (weight tying) write the current handles
  // into their State here; called by register_module on the child and by named_parameters() on itself.
  virtual void sync_parameters_() const {}
  // Replaces (or appends) the parameter called name in the State, without touching requires_grad; an
  // undefined t removes it. For sync_parameters_().
  void set_parameter_(const std::string& name, const Tensor& t) const;

 private:
  std::shared_ptr<State> state_;
};

// The distinct tensors of `params`, first occurrence kept (a tied or repeated parameter counts once).
std::vector<Tensor> unique_tensors(const std::vector<Tensor>& params);

}  // namespace microtorch::nn
