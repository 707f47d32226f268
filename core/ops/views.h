// Internal: how views are built and recorded (views.cpp); the view ops themselves are in view_ops.cpp.
#pragma once
#include "../autograd.h"
#include "strided.h"

namespace microtorch::detail {

Geometry geometry(const Tensor& t);                 // t's sizes, strides and offset
Geometry contiguous_geometry(const Shape& sizes);   // a fresh row-major tensor's

// A view of a over its storage at geometry g: no copy, no node; remembers a's base (a itself when a is not
// a view) and whether grad mode was on (a view made under NoGradGuard never gets a node from its base).
Tensor make_view(const Tensor& a, Geometry g);
// An op's fresh contiguous result given another shape of the same numel, as a tensor of its own and not a
// view (a sum over a dim kept or dropped): an in-place write into it then changes its node, not a hidden
// base's. When fresh requires grad, a "reshape" node passes the gradient back to it; else the op records its
// own node on the result.
Tensor reshaped_result(const Tensor& fresh, const Shape& sizes);
// record() for a view op: its backward takes dy in any layout and reads none of a's values, so a write into
// a after the view was made does not stale the node (the view itself is refreshed instead).
void record_view(Tensor& y, const char* op, const Tensor& a, BackwardFn backward);

// t's gradient += zeros of t's shape holding g at `at` (a geometry within a contiguous tensor of t's shape):
// the backward of narrow, select, slice, diagonal. Only that place is written when a buffer exists.
void accumulate_grad_at(const Tensor& t, const Tensor& g, const Geometry& at);
// base's gradient += dy placed at a view's elements (view: the view's geometry in base's storage), for a
// base of any layout.
void accumulate_into_base(const Tensor& base, const Tensor& dy, const Geometry& view);

// After a write through another view of v's base (the storage version moved), v's node is made again as a
// view of its base, so gradients reach the base's new node. Nothing when v is not a view, not stale, or grad
// mode is off (it is refreshed when next used with grad mode on).
void refresh_view(const Tensor& v);
// v's node made now as a view of its base (PyTorch's AsStridedBackward), whatever it was; nothing when v was
// made under NoGradGuard or its base does not require grad.
void view_from_base(const Tensor& v);

// root's node after a write through its view at `view` (PyTorch's CopySlices): root now holds prev (its old
// value and node) with the view's elements replaced by y. Its gradient goes to y at those elements and to
// prev everywhere else.
void record_copy_slices(Tensor& root, const Tensor& prev, const Tensor& y, const Geometry& view);

}  // namespace microtorch::detail
