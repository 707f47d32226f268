// The public gradient functions (grad.h) over the state machine (grad/state.h).
#include "grad.h"

#include <stdexcept>

#include "grad/state.h"
#include "ops/tensor_access.h"

namespace microtorch {

void accumulate_grad(const Tensor& t, const Tensor& g) {
  if (!t.requires_grad()) return;
  if (!g.defined() || g.dtype() != t.dtype() || g.shape() != t.shape())
    throw std::invalid_argument("accumulate_grad: the gradient must be " + dtype_name(t.dtype()) + " of the tensor's shape " +
                                shape_str(t.shape()) + ", got " +
                                (g.defined() ? dtype_name(g.dtype()) + " of shape " + shape_str(g.shape()) : "an undefined tensor"));
  const auto lock = detail::lock_leaf_grad(t);
  detail::grad_state(t).add_dense(g, t.is_leaf());
}

SparseGrad sparse_grad(const Tensor& t) {
  if (!t.defined()) throw std::invalid_argument("sparse_grad: the tensor is undefined (expected a (V, C) weight)");
  if (t.dim() != 2)
    throw std::invalid_argument("sparse_grad: expected a 2-D (V, C) weight, got shape " + shape_str(t.shape()));
  const detail::GradState* G = detail::find_grad_state(t);
  const int64_t C = t.shape().back();
  std::vector<int64_t> ids;
  std::vector<float> values;
  if (G && G->kind() == grad::Kind::kSparse)
    for (const grad::RowChunk& chunk : G->chunks()) {
      const float* v = chunk.values.data_ptr<float>();
      for (size_t i = 0; i < chunk.ids.size(); ++i) {
        if (chunk.ids[i] < 0) continue;
        ids.push_back(chunk.ids[i]);
        const float s = chunk.scale.empty() ? 1.0f : chunk.scale[i];
        for (int64_t j = 0; j < C; ++j) values.push_back(v[i * C + j] * s);
      }
    }
  const int64_t n = static_cast<int64_t>(ids.size());
  return {tensor(ids, {n}), tensor(values, {n, C})};
}

void zero_grad(const Tensor& t) {
  if (t.defined() && detail::impl_ptr(t)->grad) detail::impl_ptr(t)->grad->clear();
}

}  // namespace microtorch
