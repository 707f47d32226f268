// In-place writes, as PyTorch: add_, sub_, mul_, div_ (and += -= *= /=), fill_, zero_, copy_. Each bumps the
// storage's version (so a backward that saved the old values refuses to run, naming the op), and:
// - a leaf that requires grad, or a view of one, may be written only under NoGradGuard;
// - with nothing to record (grad mode off, nothing requires grad) the kernel writes self's elements where
//   they are, through any strides;
// - otherwise the write is recorded (write_recorded): self takes the value op(old self, operands), computed
//   out of place and recorded like any op, then copied into self's elements. The old value keeps its place in
//   the graph as `prev`. Written through a view, the view's base gets a CopySlices node (views.cpp): its
//   gradient goes to the op's result at the view's elements and to prev everywhere else, PyTorch's rebase.
#include <unordered_set>

#include "../autograd.h"
#include "../grad.h"
#include "../ops.h"
#include "broadcast.h"
#include "dispatch.h"
#include "inplace.h"
#include "promotion.h"
#include "tensor_access.h"
#include "views.h"

namespace microtorch {

namespace {

bool shares_storage(const Tensor& a, const Tensor& b) { return detail::impl_ptr(a)->storage == detail::impl_ptr(b)->storage; }
bool same_elements(const Tensor& a, const Tensor& b) {
  return shares_storage(a, b) && a.storage_offset() == b.storage_offset() && a.shape() == b.shape() && a.strides() == b.strides();
}

// The tensor whose node a write into t changes: t's base, or t itself.
Tensor root_of(const Tensor& t) { return t.is_view() ? t._base() : t; }

// Validates the write; returns true when it must be recorded on the tape. `broadcast`: each operand must
// broadcast to self's shape (the elementwise ops; index_put_, scatter_ and index_add_ check their own shapes).
bool check_write(const char* op, const Tensor& self, const std::vector<Tensor>& operands, bool broadcast = true) {
  for (int64_t d = 0; d < self.dim(); ++d)
    if (self.strides()[d] == 0 && self.shape()[d] > 1)
      throw std::invalid_argument(std::string(op) + ": the tensor written in place has dim " + std::to_string(d) +
                                  " expanded (stride 0), so several of its elements are one memory location; "
                                  "clone() it first");
  for (const Tensor& o : operands)
    if (broadcast && detail::broadcast_shapes(op, self.shape(), o.shape()) != self.shape())
      throw std::invalid_argument(std::string(op) + ": the operand of shape " + shape_str(o.shape()) +
                                  " does not broadcast to the tensor's shape " + shape_str(self.shape()));
  if (!GradMode::is_enabled()) return false;
  const Tensor root = root_of(self);
  if (root.requires_grad() && root.is_leaf())
    throw std::runtime_error(std::string(op) + ": " +
                             (self.is_view() ? "a view of a leaf tensor that requires grad" : "a leaf tensor that requires grad") +
                             " is being written in place; wrap the write in NoGradGuard (as torch.no_grad())");
  if (self.is_view() && !detail::impl_ptr(self)->differentiable && root.requires_grad())
    throw std::runtime_error(std::string(op) + ": this view was made under NoGradGuard and is being written in place "
                             "with grad mode on, while its base requires grad; make the view with grad mode on");
  bool recorded = root.requires_grad() || self.requires_grad();
  for (const Tensor& o : operands) recorded = recorded || o.requires_grad();
  return recorded;
}

// A recorded write whose operand was computed from the written tensor (y.mul_(y.relu())): the new node would
// reach it through the operand's graph, a reference cycle never freed. That graph is stale after the write
// anyway, so the write is refused before anything changes. (An operand that is a view of the same storage is
// read as a copy of its old value instead.)
void check_operand_not_from(const char* op, const Tensor& root, const Tensor& other) {
  std::vector<const Node*> todo;
  std::unordered_set<const Node*> seen;
  if (detail::impl_ptr(other)->grad_fn) todo.push_back(detail::impl_ptr(other)->grad_fn.get());
  while (!todo.empty()) {
    const Node* node = todo.back();
    todo.pop_back();
    if (!seen.insert(node).second) continue;
    for (const Tensor& input : node->inputs) {
      if (!input.defined()) continue;
      if (detail::impl_ptr(input) == detail::impl_ptr(root))
        throw std::invalid_argument(std::string(op) + ": the operand was computed from this tensor (through " +
                                    node->op + "), so the recorded write would make the graph reach itself; "
                                    "expected an operand independent of it (write into a clone instead)");
      if (detail::impl_ptr(input)->grad_fn) todo.push_back(detail::impl_ptr(input)->grad_fn.get());
    }
  }
}

// self <- f(old self, operands), recorded. f computes out of place, on grad mode, a tensor of self's shape
// and dtype. Every read of the written storage (self, an operand that is a view of it) is a copy taken
// before the write, whose gradient flows into prev (root's old value and node) at its place.
void write_recorded(const char* op, const Tensor& self, const std::vector<Tensor>& operands, const detail::OutOfPlace& f) {
  Tensor root = root_of(self);
  for (const Tensor& o : operands)
    if (!shares_storage(o, root)) check_operand_not_from(op, root, o);
  const Tensor prev = detail::as_strided(root, root.shape(), root.strides(), root.storage_offset());
  detail::impl_ptr(prev)->requires_grad = root.requires_grad();
  detail::impl_ptr(prev)->grad_fn = detail::impl_ptr(root)->grad_fn;
  auto old_value = [&prev](const Tensor& t) {
    Tensor c;
    {
      NoGradGuard off;
      c = t.detach().clone();
    }
    const detail::Geometry g = detail::geometry(t);
    detail::record_view(c, "copy of the value before the write", prev,
                        [prev, g](const Tensor& dy) { detail::accumulate_into_base(prev, dy, g); });
    return c;
  };
  std::vector<Tensor> reads{old_value(self)};
  for (const Tensor& o : operands) reads.push_back(shares_storage(o, root) ? old_value(o) : o);
  const Tensor y = f(reads);
  detail::copy_strided(self, y);
  detail::bump_version(self);
  if (!self.is_view()) {  // the whole tensor written: y's node becomes self's
    detail::impl_ptr(self)->grad_fn = detail::impl_ptr(y)->grad_fn;
    detail::impl_ptr(self)->requires_grad = y.requires_grad();
    return;
  }
  detail::record_copy_slices(root, prev, y, detail::geometry(self));
  detail::view_from_base(self);
}

// self (op)= other, elementwise through any strides, T float or double (float16 and bfloat16 through float32
// by write_by_copy). other is copied first when it overlaps self in other elements.
template <class Fn> void write_binary(const Tensor& self, Tensor other, Fn fn) {
  if (shares_storage(self, other) && !same_elements(self, other)) other = other.detach().clone();
  const detail::RunPlan<2> plan = detail::plan_runs<2>(self.shape(), {self.strides(), detail::broadcast_strides(other, self.shape())});
  detail::dispatch_float(self.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* o = static_cast<T*>(detail::raw_data(self));
    const T* x = static_cast<const T*>(detail::raw_data(other));
    if (self.numel() == 0) return;
    detail::for_each_run(plan, 0, plan.runs(), [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& st) {
      T* __restrict p = o + off[0];
      const T* q = x + off[1];
      if (st[0] == 1 && st[1] == 1) for (int64_t i = 0; i < n; ++i) p[i] = fn(p[i], q[i]);
      else for (int64_t i = 0; i < n; ++i) p[i * st[0]] = fn(p[i * st[0]], q[i * st[1]]);
    });
  });
}

bool native_float(Dtype d) { return d == kFloat32 || d == kFloat64; }

// PyTorch's can_cast for an in-place result: a float result does not go into an integer tensor, nor a
// number into a bool one.
void check_can_cast(const char* op, Dtype result, Dtype self) {
  if ((is_floating_point(result) && !is_floating_point(self)) || (result != kBool && self == kBool))
    throw std::invalid_argument(std::string(op) + ": the result type " + dtype_name(result) +
                                " cannot be cast to the tensor's dtype " + dtype_name(self) + ", as in PyTorch");
}

// The in-place arithmetic ops: check, then record or write. `out_of_place` is the op (a + b ...).
template <class OutOfPlace, class Fn>
Tensor& binary_inplace(const char* op, Tensor& self, const Tensor& other, OutOfPlace out_of_place, Fn fn) {
  check_can_cast(op, std::string(op) == "div_" && !is_floating_point(result_type(self, other)) ? kFloat32
                                                                                               : result_type(self, other),
                 self.dtype());
  if (check_write(op, self, {other})) {
    write_recorded(op, self, {other}, [&](const std::vector<Tensor>& r) { return out_of_place(r[0], r[1]).to(self.dtype()); });
  } else if (native_float(self.dtype()) && other.dtype() == self.dtype()) {
    write_binary(self, other, fn);
  } else {  // float16/bfloat16 or another operand dtype: computed out of place, in float32 at least, then cast
    Tensor y;
    {
      NoGradGuard off;
      y = out_of_place(self.detach(), other.detach());
    }
    detail::copy_strided(self, y);
  }
  detail::bump_version(self);
  return self;
}

}  // namespace

Tensor& Tensor::add_(const Tensor& other) {
  return binary_inplace("add_", *this, other, [](const Tensor& a, const Tensor& b) { return a + b; },
                        [](auto x, auto u) { return x + u; });
}
Tensor& Tensor::sub_(const Tensor& other) {
  return binary_inplace("sub_", *this, other, [](const Tensor& a, const Tensor& b) { return a - b; },
                        [](auto x, auto u) { return x - u; });
}
Tensor& Tensor::mul_(const Tensor& other) {
  return binary_inplace("mul_", *this, other, [](const Tensor& a, const Tensor& b) { return a * b; },
                        [](auto x, auto u) { return x * u; });
}
Tensor& Tensor::div_(const Tensor& other) {
  return binary_inplace("div_", *this, other, [](const Tensor& a, const Tensor& b) { return a / b; },
                        [](auto x, auto u) { return x / u; });
}
// With a number: the number in this tensor's dtype first (so the loop runs in it, as PyTorch's).
static Tensor number_as(const Tensor& self, const Scalar& s) {
  const Tensor t = detail::scalar_tensor(s);
  return is_floating_point(result_type(self, t)) == self.is_floating_point() ? t.to(self.dtype()) : t;
}
Tensor& Tensor::add_(const Scalar& s) { return add_(number_as(*this, s)); }
Tensor& Tensor::sub_(const Scalar& s) { return sub_(number_as(*this, s)); }
Tensor& Tensor::mul_(const Scalar& s) { return mul_(number_as(*this, s)); }
Tensor& Tensor::div_(const Scalar& s) { return div_(number_as(*this, s)); }
Tensor& Tensor::operator+=(const Scalar& s) { return add_(s); }
Tensor& Tensor::operator-=(const Scalar& s) { return sub_(s); }
Tensor& Tensor::operator*=(const Scalar& s) { return mul_(s); }
Tensor& Tensor::operator/=(const Scalar& s) { return div_(s); }
Tensor& Tensor::operator+=(const Tensor& other) { return add_(other); }
Tensor& Tensor::operator-=(const Tensor& other) { return sub_(other); }
Tensor& Tensor::operator*=(const Tensor& other) { return mul_(other); }
Tensor& Tensor::operator/=(const Tensor& other) { return div_(other); }

// Every element = value (cast to the dtype). Recorded, the old value gets a zero gradient.
Tensor& Tensor::fill_(const Scalar& value) {
  if (value.is_floating_point()) detail::check_value_fits("fill_", value.to_double(), dtype());
  if (check_write("fill_", *this, {})) {
    write_recorded("fill_", *this, {}, [&](const std::vector<Tensor>& r) {
      const Tensor old = r[0];
      Tensor y = empty(old.shape(), old.dtype());
      detail::fill_strided(y, value);
      record(y, "fill_", {old}, [old](const Tensor&) { accumulate_grad(old, zeros(old.shape(), old.dtype())); });
      return y;
    });
  } else {
    detail::fill_strided(*this, value);
  }
  bump_version();
  return *this;
}

Tensor& Tensor::zero_() { return fill_(0); }

// Where mask (broadcast to this shape) is true, value.
Tensor& Tensor::masked_fill_(const Tensor& mask, const Scalar& value) {
  return detail::write_in_place("masked_fill_", *this, {}, [&](const std::vector<Tensor>& r) {
    return microtorch::masked_fill(r[0], mask, value);
  });
}

namespace detail {

Tensor& write_in_place(const char* op, Tensor& self, const std::vector<Tensor>& operands, const OutOfPlace& f) {
  if (check_write(op, self, operands, false)) {
    write_recorded(op, self, operands, f);
  } else {
    Tensor y;
    {
      NoGradGuard off;
      std::vector<Tensor> reads{self.detach()};
      for (const Tensor& o : operands) reads.push_back(o.detach());
      y = f(reads);
    }
    copy_strided(self, y);
  }
  bump_version(self);
  return self;
}

}  // namespace detail

// self <- src broadcast to self's shape and cast to self's dtype. Recorded: dsrc += dy summed to src's shape
// (cast back), the old value gets a zero gradient (PyTorch's CopyBackwards).
Tensor& Tensor::copy_(const Tensor& src) {
  if (check_write("copy_", *this, {src})) {
    write_recorded("copy_", *this, {src}, [&](const std::vector<Tensor>& r) {
      const Tensor old = r[0], from = r[1];
      Tensor y = empty(old.shape(), old.dtype());
      detail::copy_strided(y, from);
      const bool float_src = from.is_floating_point();
      record(y, "copy_", {old, from}, [old, from, float_src](const Tensor& dy) {
        accumulate_grad(old, zeros(old.shape(), old.dtype()));
        if (float_src) accumulate_grad(from, sum_to(dy, from.shape()).to(from.dtype()));
      });
      return y;
    });
  } else {
    detail::copy_strided(*this, shares_storage(*this, src) && !same_elements(*this, src) ? src.detach().clone() : src);
  }
  bump_version();
  return *this;
}

}  // namespace microtorch
