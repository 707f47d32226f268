// Type promotion as PyTorch's result_type: which dtype an op on mixed operands computes and returns.
// Operands fall in three ranks: tensors with dims, zero-dim tensors, and wrapped numbers (a Scalar in x * 2).
// The highest-ranked operands decide the dtype among themselves (promote_types); a lower-ranked one matters
// only when it is of a higher category (bool < integer < floating), and then a floating number counts as
// the default dtype, float32. So f64 + f32 is f64, ids * 2.0f is f32 (not f64), x_f16 * 2.5 stays f16, and
// int64 ids + a zero-dim float64 tensor is float64.
#include <optional>

#include "../tensor.h"
#include "promotion.h"
#include "strided.h"
#include "tensor_access.h"

namespace microtorch {

namespace {

std::optional<Dtype> promote(std::optional<Dtype> a, std::optional<Dtype> b) {
  if (!a) return b;
  if (!b) return a;
  return promote_types(*a, *b);
}

// higher wins unless lower is of a higher category (ATen's combine_categories).
std::optional<Dtype> combine(std::optional<Dtype> higher, std::optional<Dtype> lower) {
  if (!higher) return lower;
  if (!lower) return higher;
  if (is_floating_point(*higher)) return higher;
  if (*higher == kBool || is_floating_point(*lower)) return promote(higher, lower);
  return higher;
}

struct State {
  std::optional<Dtype> dims, zero_dim, wrapped;
  void add_wrapped(Dtype d) { wrapped = promote(wrapped, is_floating_point(d) ? kFloat32 : d); }  // the default float dtype
  void add(const Tensor& t) {
    if (detail::is_wrapped_number(t)) {
      add_wrapped(t.dtype());
    } else if (t.dim() == 0) {
      zero_dim = promote(zero_dim, t.dtype());
    } else {
      dims = promote(dims, t.dtype());
    }
  }
  Dtype result() const { return *combine(dims, combine(zero_dim, wrapped)); }
};

}  // namespace

Dtype result_type(const std::vector<Tensor>& operands) {
  State s;
  for (const Tensor& t : operands)
    if (t.defined()) s.add(t);
  return s.dims || s.zero_dim || s.wrapped ? s.result() : kFloat32;
}
Dtype result_type(const Tensor& a, const Tensor& b) {  // as above, with no list made (every binary op)
  if (a.defined() && b.defined() && a.dtype() == b.dtype() && !(detail::is_wrapped_number(a) && detail::is_wrapped_number(b)))
    return a.dtype();  // one dtype, held by a tensor: every rule gives it back
  State s;
  if (a.defined()) s.add(a);
  if (b.defined()) s.add(b);
  return s.dims || s.zero_dim || s.wrapped ? s.result() : kFloat32;
}
Dtype result_type(const Tensor& a, const Scalar& s) {
  State st;
  if (a.defined()) st.add(a);
  st.add_wrapped(s.dtype());
  return st.result();
}

namespace detail {

Tensor scalar_tensor(const Scalar& s) {
  Tensor t = empty({}, s.dtype());
  switch (s.kind()) {
    case Scalar::Kind::Floating: *t.data_ptr<double>() = s.to_double(); break;
    case Scalar::Kind::Integral: *t.data_ptr<int64_t>() = s.to_long(); break;
    case Scalar::Kind::Bool: *t.data_ptr<bool>() = s.to_long() != 0; break;
  }
  impl_ptr(t)->wrapped_number = true;
  return t;
}

Tensor scalar_operand(const Tensor& a, const Scalar& s) {
  const Dtype r = result_type(a, s);
  Tensor t = empty({}, is_floating_point(r) ? compute_dtype(r) : r);
  fill_strided(t, s);  // cast as a copy of scalar_tensor(s) would be
  impl_ptr(t)->wrapped_number = true;
  return t;
}

bool is_wrapped_number(const Tensor& t) { return impl_ptr(t)->wrapped_number; }

Dtype compute_dtype(Dtype d) { return d == kFloat16 || d == kBFloat16 ? kFloat32 : d; }

Tensor cast_values(const Tensor& t, Dtype d) {
  if (t.dtype() == d) return t;
  NoGradGuard off;
  return t.to(d);
}

}  // namespace detail
}  // namespace microtorch
