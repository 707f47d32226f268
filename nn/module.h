// nn::Module: the one shallow base, and the module tree. A module registers parameters, buffers and child
// modules by name; the tree lists them under dotted names ("h.0.ln.weight"), in registration order, as PyTorch:
//   named_parameters()  own parameters, then each child's; each tensor once (a tied weight under its first name)
//   named_buffers()     the same for buffers (a BatchNorm's running statistics)
//   state_dict()        own parameters, own buffers, then each child's, every name (a tied weight under each
//                       of its names), detached; load_state_dict() copies one back in place
// A copy of a module is another handle on the same module (as a libtorch holder): copies share one small State
// holding the mode, the tensors and the children, and never point into each other. A built-in's public weight
// is a reference to its slot in that State, so assigning it through any copy, before or after the module is
// registered (weight tying), is what every copy and every parent sees.
//   struct Block : mt::nn::Module {
//     mt::nn::Linear fc{mt::nn::LinearOptions(64, 64)};
//     mt::Tensor scale;
//     Block() { register_module("fc", fc); scale = register_parameter("scale", mt::ones({64})); }
//   };
#pragma once
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../core/tensor.h"

namespace microtorch::nn {

using NamedParameters = std::vector<std::pair<std::string, Tensor>>;

// What load_state_dict found: names the module has and the state dict lacks, and names it has that the module
// lacks (as PyTorch's _IncompatibleKeys). Both empty after a strict load.
struct IncompatibleKeys {
  std::vector<std::string> missing_keys, unexpected_keys;
};

class Module {
 public:
  // Named tensors of one module. A deque, because a built-in's public weight is a reference to its slot and
  // registering more must not move it. A slot may hold an undefined tensor (Linear without bias): never listed.
  using Slots = std::deque<std::pair<std::string, Tensor>>;
  // What copies of a module share.
  struct State {
    State() = default;
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State();  // releases a deep tree without recursion
    bool training = true;
    Slots parameters, buffers;
    std::vector<std::string> non_persistent;  // buffers that state_dict() leaves out
    std::vector<std::pair<std::string, std::shared_ptr<State>>> children;
    std::vector<std::weak_ptr<State>> parents;  // the States this one is registered in (the cycle check)
  };

  Module();
  explicit Module(std::shared_ptr<State> state);  // another handle on that module (named_modules() makes these)
  virtual ~Module() = default;
  Module(const Module&) = default;  // a copy is the same module
  // Assignment puts other's tensors (the handles, not copies of the values) and mode into this module's State,
  // and into its children's where the names match: a reference to a slot cannot be re-seated, and a parent
  // that registered this module then sees the new tensors, as PyTorch's `parent.fc = other`.
  Module& operator=(const Module& other);

  // Own parameters first, then each child's under "child.", in registration order, each tensor once
  // (undefined slots skipped), as PyTorch's named_parameters(). A version-1 style override is honoured when
  // called on that module itself (and by state_dict()); a parent walks the registered States instead.
  virtual NamedParameters named_parameters() const;
  NamedParameters named_parameters(bool recurse) const;  // recurse = false: own parameters only
  std::vector<Tensor> parameters(bool recurse = true) const;
  NamedParameters named_buffers(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  // This module (name "") and every descendant, pre-order, each module once under its first name.
  std::vector<std::pair<std::string, Module>> named_modules() const;
  std::vector<Module> modules() const;
  std::vector<std::pair<std::string, Module>> named_children() const;  // registration order, each once
  std::vector<Module> children() const;

  // Parameters and persistent buffers of the whole tree by dotted name, in PyTorch's order (own parameters,
  // own buffers, then each child's), detached (they share storage with the module's tensors).
  NamedParameters state_dict() const;
  // Copies the values of state_dict into the module's tensors in place (the live handles keep working).
  // strict: a missing or unexpected name is std::runtime_error naming them all; a tied tensor needs only one
  // of its names. A dtype or shape that does not fit is std::invalid_argument naming both, also when not strict.
  // Checks everything before writing anything.
  IncompatibleKeys load_state_dict(const NamedParameters& state_dict, bool strict = true);

  // Registers t (a defined leaf) under name with requires_grad(requires_grad) and returns its slot. Names: see
  // register_module.
  Tensor& register_parameter(const std::string& name, Tensor t, bool requires_grad = true);
  // A buffer: state that is not trained (running statistics), any dtype; listed by named_buffers() and, when
  // persistent, by state_dict() (so mt::save stores it).
  Tensor& register_buffer(const std::string& name, Tensor t, bool persistent = true);
  // Registers child's State under name. The child may be a built-in or a user's module; what it holds, its
  // mode and its children are the ones its copies see. A parameter or buffer name has no dot (as PyTorch); a
  // child name may ("h.0": what a ModuleList yields), with no empty part. No name may equal another of this
  // module's or be a dotted prefix of one ("h" and "h.0"), so every dotted name in the tree is unique.
  void register_module(const std::string& name, const Module& child);

  void train(bool on = true);  // this module and every registered descendant
  void eval() { train(false); }
  bool is_training() const { return state_->training; }
  void zero_grad();  // as PyTorch 2: every parameter's gradient becomes undefined
  // Converts every floating-point parameter and buffer of the tree to dtype in place (libtorch's
  // module->to(kFloat64), Python's .double()): each tensor keeps its identity (every handle on it, a tied weight,
  // an optimizer's list, sees the new dtype) and gets new storage; integer buffers stay. Gradients become
  // undefined (as after zero_grad). std::invalid_argument for a non-floating dtype, before anything changes.
  void to(Dtype dtype);

 protected:
  // As register_parameter and register_buffer, but t may be undefined: the name is then reserved and nothing
  // is listed until a tensor is assigned to the slot (PyTorch's None: Linear's bias with bias(false)).
  Tensor& register_optional_parameter_(const std::string& name, Tensor t);
  Tensor& register_optional_buffer_(const std::string& name, const Tensor& t);
  // For containers, whose children are their contents: registers child under name, or puts it in place of
  // the child already registered under that name; and takes other's children (the same modules) and mode.
  void set_child_(const std::string& name, const Module& child);
  void take_children_(const Module& other);

 private:
  NamedParameters state_entries_() const;  // state_dict() before detaching: the live handles
  std::shared_ptr<State> state_;
};

// The distinct tensors of `params`, first occurrence kept (a tied or repeated parameter counts once).
std::vector<Tensor> unique_tensors(const std::vector<Tensor>& params);

}  // namespace microtorch::nn
