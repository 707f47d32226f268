#include "module.h"

#include <algorithm>

#include "../core/grad.h"

namespace microtorch::nn {

std::vector<Tensor> unique_tensors(const std::vector<Tensor>& params) {
  std::vector<Tensor> out;
  for (const Tensor& p : params) {
    if (!p.defined()) continue;
    bool seen = std::any_of(out.begin(), out.end(), [&](const Tensor& q) { return q.impl_ptr() == p.impl_ptr(); });
    if (!seen) out.push_back(p);
  }
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> all;
  for (const auto& named : named_parameters()) all.push_back(named.second);
  return unique_tensors(all);
}

void Module::zero_grad() {
  for (const Tensor& p : parameters()) microtorch::zero_grad(p);
}

}  // namespace microtorch::nn
