// Module::load_state_dict (module.h): the state dict is matched against the module's own state_dict() by
// name, every pair is checked, and only then are the values copied into the module's tensors in place.
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "../core/autograd.h"
#include "module.h"

namespace microtorch::nn {

// "no tensor 'a'" or "no tensors 'a', 'b'", for a message.
static std::string listing(const std::string& what, const std::vector<std::string>& names) {
  std::string out = what + (names.size() > 1 ? "s " : " ");
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", '" : "'") + names[i] + "'";
  return out;
}

IncompatibleKeys Module::load_state_dict(const NamedParameters& sd, bool strict) {
  const NamedParameters targets = state_entries_();  // the module's own tensors under every name
  std::unordered_map<std::string, const Tensor*> given;
  for (const auto& [name, t] : sd) {
    if (!given.emplace(name, &t).second)
      throw std::invalid_argument("load_state_dict: the state dict holds '" + name + "' twice");
    if (!t.defined()) throw std::invalid_argument("load_state_dict: '" + name + "' is an undefined tensor");
  }

  IncompatibleKeys keys;
  std::vector<std::pair<Tensor, Tensor>> copies;  // (target, value), all checked before any is made
  std::unordered_set<const TensorImpl*> loaded;  // tensors written: a tied tensor needs only one of its names
  std::unordered_set<std::string> wanted;
  for (const auto& [name, target] : targets) {
    wanted.insert(name);
    auto it = given.find(name);
    if (it == given.end()) continue;
    const Tensor& value = *it->second;
    if (value.dtype() != target.dtype())
      throw std::invalid_argument("load_state_dict: '" + name + "' is " + dtype_name(value.dtype()) +
                                  " in the state dict but " + dtype_name(target.dtype()) + " in the module");
    if (value.shape() != target.shape())
      throw std::invalid_argument("load_state_dict: '" + name + "' has shape " + shape_str(value.shape()) +
                                  " in the state dict but " + shape_str(target.shape()) + " in the module");
    copies.emplace_back(target, value);
    loaded.insert(target.unsafeGetTensorImpl());
  }
  for (const auto& [name, target] : targets)
    if (!given.count(name) && !loaded.count(target.unsafeGetTensorImpl())) keys.missing_keys.push_back(name);
  for (const auto& [name, t] : sd)
    if (!wanted.count(name)) keys.unexpected_keys.push_back(name);
  if (strict && !(keys.missing_keys.empty() && keys.unexpected_keys.empty())) {
    std::string what = "load_state_dict (strict):";
    if (!keys.missing_keys.empty())
      what += " the state dict has " + listing("no tensor", keys.missing_keys) + " (the module has);";
    if (!keys.unexpected_keys.empty())
      what += " " + listing("unexpected tensor", keys.unexpected_keys) + " (the module has no such name);";
    what.pop_back();
    throw std::runtime_error(what);
  }

  NoGradGuard no_grad;  // a parameter is a leaf that requires grad: written in place only without grad
  for (auto& [target, value] : copies) target.copy_(value);
  return keys;
}

}  // namespace microtorch::nn
