// + - * / with broadcasting, tensor-tensor and tensor-scalar, and neg. The values come from the loops in
// core/kernels/ (elementwise.h); each gradient is summed back to its input's shape by sum_to.
#include "../autograd.h"
#include "../grad.h"
#include "../kernels/binary_op.h"
#include "../kernels/elementwise.h"
#include "../kernels/parallel.h"
#include "../ops.h"
#include "broadcast.h"
#include "strided.h"
#include "tensor_access.h"
#include "xt.h"

namespace microtorch {
using detail::check_float;

namespace detail {
void check_float(const char* op, const Tensor& t) {
  if (t.dtype() != kFloat32)
    throw std::invalid_argument(std::string(op) + ": expected a float32 tensor, got " + dtype_name(t.dtype()) +
                                " of shape " + shape_str(t.shape()));
}
}  // namespace detail

// NumPy broadcasting: align shapes on the right; each pair of dims must be equal or contain a 1.
static Shape broadcast_shape(const char* op, const Shape& a, const Shape& b) {
  Shape out(std::max(a.size(), b.size()), 1);
  for (size_t i = 0; i < out.size(); ++i) {
    int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1)
      throw std::invalid_argument(std::string(op) + ": shapes " + shape_str(a) + " and " + shape_str(b) +
                                  " cannot be broadcast together");
    out[out.size() - 1 - i] = da == 1 ? db : da;
  }
  return out;
}

using Binary = kernels::BinaryOp;

// out = a (op) b through any strides: one walk over (out, a, b), strided.h's runs. out takes the layout of
// an operand of its shape (a transposed a gives a transposed out, so the runs stay contiguous), as PyTorch.
template <class T> static void binary_strided(Binary op, const Tensor& out, const Tensor& a, const Tensor& b) {
  const Shape& shape = out.shape();
  if (out.numel() == 0) return;
  const detail::RunPlan<3> plan = detail::plan_runs<3>(
      shape, {out.strides(), detail::broadcast_strides(a, shape), detail::broadcast_strides(b, shape)});
  T* o = static_cast<T*>(detail::raw_data(out));
  const T *x = static_cast<const T*>(detail::raw_data(a)), *y = static_cast<const T*>(detail::raw_data(b));
  kernels::with_op(op, [&](auto f) {
    const int64_t grain = std::max<int64_t>(1, kernels::kGrain / plan.sizes.back());
    kernels::parallel_for(0, plan.runs(), grain, [&](int64_t lo, int64_t hi) {
      detail::for_each_run(plan, lo, hi, [&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& st) {
        T* __restrict po = o + off[0];
        const T *px = x + off[1], *py = y + off[2];
        if (st[0] == 1 && st[1] == 1 && st[2] == 1) for (int64_t i = 0; i < n; ++i) po[i] = f(px[i], py[i]);
        else for (int64_t i = 0; i < n; ++i) po[i * st[0]] = f(px[i * st[1]], py[i * st[2]]);
      });
    });
  });
}

// out = a (op) b, broadcast. Not recorded: the ops below record, and backward closures call it freely.
// Contiguous inputs take the tuned loops of core/kernels/broadcast.cpp; strided ones the walk above.
static Tensor binary_values(Binary op, const char* name, const Tensor& a, const Tensor& b) {
  check_float(name, a);
  check_float(name, b);
  const Shape shape = broadcast_shape(name, a.shape(), b.shape());
  if (a.is_contiguous() && b.is_contiguous()) {
    Tensor out = empty(shape);
    kernels::binary(op, a.data_ptr<float>(), a.shape(), b.data_ptr<float>(), b.shape(), out.data_ptr<float>(), shape);
    return out;
  }
  const Tensor& like = a.shape() == shape ? a : b.shape() == shape ? b : a;
  Tensor out = like.shape() == shape ? detail::empty_like_layout(like, kFloat32) : empty(shape);
  binary_strided<float>(op, out, a, b);
  return out;
}

// a.grad += g summed to a's shape. When no sum is needed g goes straight in: a fresh g (dy * b) is then the
// only handle to its buffer, so a leaf adopts it instead of copying it (sum_to(g) == g would be a second
// handle, and the leaf would copy 4 MB for a 1M-float x).
static void accumulate_summed(const Tensor& a, const Tensor& g) {
  if (g.shape() == a.shape()) accumulate_grad(a, g);
  else accumulate_grad(a, sum_to(g, a.shape()));
}

// y = a + b. da += dy, db += dy (each summed to its shape).
Tensor add(const Tensor& a, const Tensor& b) {
  Tensor y = binary_values(Binary::Add, "add", a, b);
  record(y, "add", {a, b}, [a, b](const Tensor& dy) {
    accumulate_summed(a, dy);
    accumulate_summed(b, dy);
  });
  return y;
}

// y = a - b. da += dy, db -= dy.
Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor y = binary_values(Binary::Sub, "sub", a, b);
  record(y, "sub", {a, b}, [a, b](const Tensor& dy) {
    accumulate_summed(a, dy);
    if (b.requires_grad()) accumulate_summed(b, neg(dy));
  });
  return y;
}

// a.grad += dy * other, summed to a's shape. When a was broadcast and other was not (x * row: the row's
// gradient), the product is summed as it is made, never written.
static void accumulate_product(const Tensor& a, const Tensor& dy, const Tensor& other) {
  if (a.shape() != dy.shape() && other.shape() == dy.shape()) accumulate_grad(a, sum_to_product(dy, other, a.shape()));
  else accumulate_summed(a, dy * other);
}

// y = a * b. da += dy * b, db += dy * a.
Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor y = binary_values(Binary::Mul, "mul", a, b);
  record(y, "mul", {a, b}, [a, b](const Tensor& dy) {
    if (a.requires_grad()) accumulate_product(a, dy, b);
    if (b.requires_grad()) accumulate_product(b, dy, a);
  });
  return y;
}

// y = a / b. da += dy / b, db -= dy * a / b^2.
Tensor div(const Tensor& a, const Tensor& b) {
  Tensor y = binary_values(Binary::Div, "div", a, b);
  record(y, "div", {a, b}, [a, b](const Tensor& dy) {
    if (a.requires_grad()) accumulate_summed(a, dy / b);
    if (b.requires_grad()) accumulate_summed(b, neg(dy * a / (b * b)));
  });
  return y;
}

// y = -a. da -= dy.
Tensor neg(const Tensor& a_in) {
  check_float("neg", a_in);
  const Tensor a = a_in.contiguous();
  Tensor y = empty(a.shape());
  kernels::negate(a.data_ptr<float>(), y.data_ptr<float>(), a.numel());
  record(y, "neg", {a}, [a](const Tensor& dy) { accumulate_grad(a, neg(dy)); });
  return y;
}

// With a scalar: the scalar is a 0-d constant that broadcasts and receives no gradient.
static Tensor scalar(float s) { return full({}, s); }

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, float s) { return add(a, scalar(s)); }
Tensor operator-(const Tensor& a, float s) { return sub(a, scalar(s)); }
Tensor operator*(const Tensor& a, float s) { return mul(a, scalar(s)); }
Tensor operator/(const Tensor& a, float s) { return div(a, scalar(s)); }
Tensor operator+(float s, const Tensor& a) { return add(scalar(s), a); }
Tensor operator-(float s, const Tensor& a) { return sub(scalar(s), a); }
Tensor operator*(float s, const Tensor& a) { return mul(scalar(s), a); }
Tensor operator/(float s, const Tensor& a) { return div(scalar(s), a); }
Tensor Tensor::operator-() const { return neg(*this); }

}  // namespace microtorch
