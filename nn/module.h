// nn::Module: the one shallow base. A module lists its named parameters; parameters() de-duplicates them
// (a tied weight appears once) and zero_grad() clears their gradients.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "../core/tensor.h"

namespace microtorch::nn {

using NamedParameters = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;
  // The live handles, in declaration order; a module made of modules lists theirs as "child.name".
  virtual NamedParameters named_parameters() const = 0;
  std::vector<Tensor> parameters() const;  // de-duplicated by identity
  void zero_grad();                        // as PyTorch 2: every gradient becomes undefined
};

// The distinct tensors of `params`, first occurrence kept (a tied or repeated parameter counts once).
std::vector<Tensor> unique_tensors(const std::vector<Tensor>& params);

}  // namespace microtorch::nn
