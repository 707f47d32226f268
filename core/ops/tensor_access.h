// The library's own way into a Tensor's storage and autograd state. Ops, the
// gradient state, optimizers and the checkpoint codec use these; the public Tensor keeps them private.
#pragma once
#include "../tensor.h"

namespace microtorch::detail {

struct TensorAccess {
  static TensorImpl* impl_ptr(const Tensor& t) { return t.impl_ptr(); }
  static const std::shared_ptr<TensorImpl>& shared_impl(const Tensor& t) { return t.shared_impl(); }
  static void* raw_data(const Tensor& t) { return t.raw_data(); }
  static void bump_version(const Tensor& t) { t.bump_version(); }
};

inline TensorImpl* impl_ptr(const Tensor& t) { return TensorAccess::impl_ptr(t); }
inline const std::shared_ptr<TensorImpl>& shared_impl(const Tensor& t) { return TensorAccess::shared_impl(t); }
inline void* raw_data(const Tensor& t) { return TensorAccess::raw_data(t); }  // start of t's bytes
inline void bump_version(const Tensor& t) { TensorAccess::bump_version(t); }  // after an in-place write

}  // namespace microtorch::detail
