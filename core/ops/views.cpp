// Views and the tape (tensor.h says what a view is; docs/views.md tells it as a lesson).
//
// make_view builds a view: a TensorImpl over its base's storage with a geometry of its own, remembering the
// base (the first tensor of the chain, never itself a view). A view op records a node whose backward adds the
// view's gradient into its input's, at the view's place. Views share one storage, so they share its version:
// a write through one view makes the nodes of the others stale, and refresh_view makes such a view's node
// again from its base (PyTorch regenerates a view's grad_fn the same way) when it is next used.
#include "views.h"

#include "dispatch.h"

#include "../autograd.h"
#include "../grad.h"
#include "../grad/state.h"
#include "tensor_access.h"

namespace microtorch {

using detail::Geometry;

TensorImpl::TensorImpl(std::shared_ptr<Storage> s, Shape sh, Dtype dt)
    : storage(std::move(s)), shape(std::move(sh)), strides(detail::contiguous_strides(shape)),
      numel(shape_numel(shape)), dtype(dt) {}
TensorImpl::TensorImpl(std::shared_ptr<Storage> s, Shape sh, Shape st, int64_t off, Dtype dt)
    : storage(std::move(s)), shape(std::move(sh)), strides(std::move(st)), offset(off), numel(shape_numel(shape)),
      contiguous(detail::is_contiguous_geometry(shape, strides)), dtype(dt) {}
TensorImpl::~TensorImpl() = default;

int64_t Tensor::stride(int64_t d) const { return strides()[detail::wrap_dim("stride", d, dim())]; }

Tensor Tensor::_base() const { return impl().base ? Tensor(impl().base) : Tensor(); }

// y shares a's storage and geometry, with no node: writes through either reach the other (and bump the
// version both share), but gradients do not flow between them.
Tensor Tensor::detach() const {
  return Tensor(std::make_shared<TensorImpl>(impl().storage, shape(), strides(), storage_offset(), dtype()));
}

// y = a in row-major order (this very tensor when it already is). da += dy.
Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  Tensor y = empty(shape(), dtype());
  detail::copy_strided(y, *this);
  Tensor a = *this;
  record(y, "contiguous", {a}, [a](const Tensor& dy) { accumulate_grad(a, dy); }, Saved::Nothing);
  return y;
}

namespace detail {

Geometry geometry(const Tensor& t) { return {t.shape(), t.strides(), t.storage_offset()}; }

Geometry contiguous_geometry(const Shape& sizes) { return {sizes, contiguous_strides(sizes), 0}; }

Tensor make_view(const Tensor& a, Geometry g) {
  const TensorImpl* in = impl_ptr(a);
  auto out = std::make_shared<TensorImpl>(in->storage, std::move(g.sizes), std::move(g.strides), g.offset, a.dtype());
  out->base = in->base ? in->base : shared_impl(a);
  out->base_version = in->storage->version;
  out->differentiable = GradMode::is_enabled();
  return Tensor(std::move(out));
}

Tensor reshaped_result(const Tensor& fresh, const Shape& sizes) {
  const TensorImpl* in = impl_ptr(fresh);
  if (in->base || !fresh.is_contiguous() || shape_numel(sizes) != fresh.numel())
    throw std::logic_error("reshaped_result: expected a fresh contiguous result of " + std::to_string(fresh.numel()) +
                           " elements, got shape " + shape_str(sizes) + (in->base ? " of a view" : ""));
  Tensor y(std::make_shared<TensorImpl>(in->storage, sizes, contiguous_strides(sizes), fresh.storage_offset(), fresh.dtype()));
  record(y, "reshape", {fresh}, [fresh](const Tensor& dy) { accumulate_grad(fresh, dy.reshape(fresh.shape())); },
         Saved::Nothing);
  return y;
}

void record_view(Tensor& y, const char* op, const Tensor& a, BackwardFn backward) {
  // a view's backward takes its gradient in any layout, and reads no value of a
  record_strided(y, op, {a}, std::move(backward), Saved::Nothing);
}

// Adds g (any layout) into t's gradient at geometry g_at, a place in a contiguous tensor of t's shape.
void accumulate_grad_at(const Tensor& t, const Tensor& g, const Geometry& at) {
  if (!t.requires_grad()) return;
  const auto lock = lock_leaf_grad(t);
  grad_state(t).add_dense_at(t.shape(), g, at, t.is_leaf());
}

// A buffer laid out as t (its strides, from offset 0), holding t's elements and its gaps: where the gradient
// of a base of any layout is put together. A contiguous t gets a plain contiguous buffer.
static Tensor laid_out_as(const Tensor& t) {
  if (t.is_contiguous()) return empty(t.shape(), t.dtype());
  int64_t extent = t.numel() == 0 ? 0 : 1;
  for (int64_t d = 0; d < t.dim(); ++d) extent += (t.shape()[d] - 1) * t.strides()[d];
  return empty({extent}, t.dtype());
}

void accumulate_into_base(const Tensor& base, const Tensor& dy, const Geometry& view) {
  if (!base.requires_grad()) return;
  const Geometry at{view.sizes, view.strides, view.offset - base.storage_offset()};  // from base's first element
  if (base.is_contiguous()) return accumulate_grad_at(base, dy, at);
  const Tensor buf = laid_out_as(base);
  const Tensor whole = as_strided(buf, base.shape(), base.strides(), 0);
  copy_strided(whole, zeros({}, base.dtype()));
  copy_strided(as_strided(buf, at.sizes, at.strides, at.offset), dy);
  accumulate_grad(base, whole);
}

void view_from_base(const Tensor& v) {
  TensorImpl* impl = impl_ptr(v);
  impl->base_version = impl->storage->version;
  if (!impl->differentiable || !impl->base->requires_grad) return;
  const Tensor base(impl->base);
  const Geometry g = geometry(v);
  Tensor view = v;
  record_view(view, "as_strided", base, [base, g](const Tensor& dy) { accumulate_into_base(base, dy, g); });
}

void refresh_view(const Tensor& v) {
  const TensorImpl* impl = impl_ptr(v);
  if (impl->base && impl->base_version != impl->storage->version && GradMode::is_enabled()) view_from_base(v);
}

void record_copy_slices(Tensor& root, const Tensor& prev, const Tensor& y, const Geometry& view) {
  const Geometry at{view.sizes, view.strides, view.offset - root.storage_offset()};  // from root's first element
  record(root, "CopySlices", {prev, y}, [prev, y, at](const Tensor& droot) {
    const Tensor buf = laid_out_as(prev);  // droot in root's own layout, where `at` finds the view's elements
    const Tensor whole = as_strided(buf, prev.shape(), prev.strides(), 0);
    const Tensor part = as_strided(buf, at.sizes, at.strides, at.offset);
    copy_strided(whole, droot);
    if (y.requires_grad()) accumulate_grad(y, part.clone());
    if (!prev.requires_grad()) return;
    copy_strided(part, zeros({}, prev.dtype()));  // those elements of the old value were overwritten
    accumulate_grad(prev, whole);
  });
  if (Node* node = impl_ptr(root)->grad_fn.get())
    node->input_versions.assign(2, Node::kUnchecked);  // neither input's values are read
}

}  // namespace detail
}  // namespace microtorch
