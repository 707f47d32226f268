// Module::to(dtype) (module.h): the floating-point parameters and buffers of the tree converted in place, as
// PyTorch's Module._apply does with `param.data = param.data.to(dtype)`: the tensor object stays, its storage
// and dtype change, so every handle on it sees the new values.
#include <unordered_set>

#include "../core/autograd.h"
#include "../core/grad.h"
#include "../core/grad/door.h"
#include "module.h"

namespace microtorch::nn {

// t's values as dtype, in a fresh row-major storage (nothing of t changes yet).
static Tensor converted(const Tensor& t, Dtype dtype) {
  NoGradGuard off;
  return t.detach().to(dtype).contiguous();  // a new storage: the dtype differs
}

// t now holds c's storage and dtype (c from converted(t, ...)). Allocates nothing, so it cannot fail halfway.
static void adopt(const Tensor& t, const Tensor& c) {
  zero_grad(t);  // a gradient of the old dtype would not fit
  TensorImpl* impl = t.unsafeGetTensorImpl();
  const TensorImpl* from = c.unsafeGetTensorImpl();
  impl->storage = from->storage;
  impl->strides = from->strides;
  impl->offset = from->offset;
  impl->contiguous = true;
  impl->dtype = from->dtype;
  impl->base.reset();  // its own storage now: no longer a view of anything
  grad::bump_version(t);
}

void Module::to(Dtype dtype) {
  if (!is_floating_point(dtype))
    throw std::invalid_argument("Module::to: dtype must be floating point (float32, float64, float16 or bfloat16), "
                                "got " + dtype_name(dtype));
  std::vector<Tensor> todo;  // each tensor once (a tied weight is listed under each of its names)
  std::unordered_set<const TensorImpl*> seen;
  for (const auto& [name, t] : state_entries_()) {
    if (!t.is_floating_point() || t.dtype() == dtype || !seen.insert(t.unsafeGetTensorImpl()).second) continue;
    if (!t.is_leaf())
      throw std::invalid_argument("Module::to: " + name + " is not a leaf (it was computed by a recorded op); "
                                  "only leaf parameters and buffers can be converted in place");
    todo.push_back(t);
  }
  for (const auto& [name, t] : named_buffers()) {  // non-persistent buffers too
    if (t.is_floating_point() && t.dtype() != dtype && seen.insert(t.unsafeGetTensorImpl()).second) todo.push_back(t);
  }
  // Every conversion first (the one step that can fail, for memory), then every swap: all or nothing.
  std::vector<Tensor> values;
  values.reserve(todo.size());
  for (const Tensor& t : todo) values.push_back(converted(t, dtype));
  for (size_t i = 0; i < todo.size(); ++i) adopt(todo[i], values[i]);
}

}  // namespace microtorch::nn
