// + - * / with broadcasting and PyTorch's type promotion, tensor-tensor and tensor-scalar, and neg. The
// operands are cast to the op's compute dtype (promotion.h), then float32 ones of row-major layout take the
// tuned loops of core/kernels/ (elementwise.h, broadcast.cpp) and anything else the strided walk below. Each
// gradient is summed back to its input's shape by sum_to and cast back to its dtype.
#include "../autograd.h"
#include "../grad.h"
#include "../kernels/binary_op.h"
#include "../kernels/elementwise.h"
#include "../kernels/parallel.h"
#include "../ops.h"
#include "broadcast.h"
#include "dispatch.h"
#include "promotion.h"
#include "strided.h"
#include "tensor_access.h"
#include "xt.h"

namespace microtorch {

namespace detail {
void check_float(const char* op, const Tensor& t) {
  if (!t.defined())
    throw std::invalid_argument(std::string(op) + ": expected a float32 tensor, got an undefined tensor "
                                "(default-constructed, or an absent gradient)");
  if (t.dtype() != kFloat32)
    throw std::invalid_argument(std::string(op) + ": expected a float32 tensor, got " + dtype_name(t.dtype()) +
                                " of shape " + shape_str(t.shape()));
}
void check_floating(const char* op, const Tensor& t) {
  if (!t.defined())
    throw std::invalid_argument(std::string(op) + ": expected a floating-point tensor, got an undefined tensor "
                                "(default-constructed, or an absent gradient)");
  if (!t.is_floating_point())
    throw std::invalid_argument(std::string(op) + ": expected a floating-point tensor (float32, float64, float16 or "
                                "bfloat16), got " + dtype_name(t.dtype()) + " of shape " + shape_str(t.shape()));
}
}  // namespace detail

using Binary = kernels::BinaryOp;

// out = a (op) b through any strides, T the compute type: one walk over (out, a, b), strided.h's runs.
template <class T> static void binary_strided(Binary op, const Tensor& out, const Tensor& a, const Tensor& b) {
  const Shape& shape = out.shape();
  if (out.numel() == 0) return;
  const detail::RunPlan<3> plan = detail::plan_runs<3>(
      shape, {out.strides(), detail::broadcast_strides(a, shape), detail::broadcast_strides(b, shape)});
  T* o = static_cast<T*>(detail::raw_data(out));
  const T *x = static_cast<const T*>(detail::raw_data(a)), *y = static_cast<const T*>(detail::raw_data(b));
  kernels::with_op(op, [&](auto f) {
    // One inner run: po[i * st0] = f(px[i * st1], py[i * st2]), with the steps the compiler can vectorise
    // (both 1; a step over a scalar) written out.
    auto run = [&f](T* __restrict po, const T* px, const T* py, int64_t n, const std::array<int64_t, 3>& st) {
      if (st[0] == 1 && st[1] == 1 && st[2] == 1) for (int64_t i = 0; i < n; ++i) po[i] = f(px[i], py[i]);
      else if (st[0] == 1 && st[2] == 0) for (int64_t i = 0; i < n; ++i) po[i] = f(px[i * st[1]], *py);
      else if (st[0] == 1 && st[1] == 0) for (int64_t i = 0; i < n; ++i) po[i] = f(*px, py[i * st[2]]);
      else for (int64_t i = 0; i < n; ++i) po[i * st[0]] = f(px[i * st[1]], py[i * st[2]]);
    };
    if (plan.sizes.size() == 1) {  // the whole walk is one run (x[:, ::2] * 2): split it among the threads
      const std::array<int64_t, 3> st{plan.strides[0][0], plan.strides[1][0], plan.strides[2][0]};
      return kernels::parallel_for(0, plan.sizes[0], kernels::kGrain, [&](int64_t lo, int64_t hi) {
        run(o + lo * st[0], x + lo * st[1], y + lo * st[2], hi - lo, st);
      });
    }
    const int64_t grain = std::max<int64_t>(1, kernels::kGrain / plan.sizes.back());
    kernels::parallel_for(0, plan.runs(), grain, [&](int64_t lo, int64_t hi) {
      detail::for_each_run(plan, lo, hi, [&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& st) {
        run(o + off[0], x + off[1], y + off[2], n, st);
      });
    });
  });
}

// The dtype of a (op) b: PyTorch's promotion; / of integers is true division, in float32.
static Dtype binary_dtype(Binary op, const char* name, const Tensor& a, const Tensor& b) {
  const Dtype out = result_type(a, b);
  if (op == Binary::Div && !is_floating_point(out)) return kFloat32;
  if (op == Binary::Sub && out == kBool)
    throw std::invalid_argument(std::string(name) + ": subtracting bool tensors is not supported, as in PyTorch "
                                "(use logical_xor, or cast to an integer dtype first)");
  return out;
}

// out = a (op) b, broadcast. Not recorded: the ops below record, and backward closures call it freely.
// out takes the layout of an operand of its shape (a transposed a gives a transposed out, so the walk is
// contiguous runs), as PyTorch's TensorIterator does.
static Tensor binary_values(Binary op, const char* name, const Tensor& a_in, const Tensor& b_in) {
  const Shape shape = detail::broadcast_shapes(name, a_in.shape(), b_in.shape());
  const Dtype out_dtype = binary_dtype(op, name, a_in, b_in);
  const Dtype compute = out_dtype == kBool ? kInt64 : detail::compute_dtype(out_dtype);
  const Tensor a = detail::cast_values(a_in, compute), b = detail::cast_values(b_in, compute);
  if (compute == kFloat32 && a.is_contiguous() && b.is_contiguous()) {
    Tensor out = empty(shape);
    kernels::binary(op, a.data_ptr<float>(), a.shape(), b.data_ptr<float>(), b.shape(), out.data_ptr<float>(), shape);
    return detail::cast_values(out, out_dtype);
  }
  const Tensor& like = a.shape() == shape ? a : b;
  Tensor out = like.shape() == shape ? detail::empty_like_layout(like, compute) : empty(shape, compute);
  switch (compute) {
    case kFloat64: binary_strided<double>(op, out, a, b); break;
    case kInt64: binary_strided<int64_t>(op, out, a, b); break;
    case kInt32: binary_strided<int32_t>(op, out, a, b); break;
    default: binary_strided<float>(op, out, a, b); break;
  }
  return detail::cast_values(out, out_dtype);
}

// a.grad += g summed to a's shape and cast to a's dtype. When no sum is needed g goes straight in: a fresh g
// (dy * b) is then the only handle to its buffer, so a leaf adopts it instead of copying it (sum_to(g) == g
// would be a second handle, and the leaf would copy 4 MB for a 1M-float x).
static void accumulate_summed(const Tensor& a, const Tensor& g) {
  if (!a.requires_grad()) return;
  if (g.shape() != a.shape()) accumulate_summed(a, sum_to(g, a.shape()));
  else if (g.dtype() != a.dtype()) accumulate_grad(a, g.to(a.dtype()));
  else accumulate_grad(a, g);
}

// y = a + b. da += dy, db += dy (each summed to its shape).
Tensor add(const Tensor& a, const Tensor& b) {
  Tensor y = binary_values(Binary::Add, "add", a, b);
  record(y, "add", {a, b}, [a, b](const Tensor& dy) {
    accumulate_summed(a, dy);
    accumulate_summed(b, dy);
  }, Saved::Nothing);
  return y;
}

// y = a - b. da += dy, db -= dy.
Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor y = binary_values(Binary::Sub, "sub", a, b);
  record(y, "sub", {a, b}, [a, b](const Tensor& dy) {
    accumulate_summed(a, dy);
    if (b.requires_grad()) accumulate_summed(b, neg(dy));
  }, Saved::Nothing);
  return y;
}

// a.grad += dy * other, summed to a's shape. When a was broadcast and other was not (x * row: the row's
// gradient), the float32 product is summed as it is made, never written.
static void accumulate_product(const Tensor& a, const Tensor& dy, const Tensor& other) {
  if (a.shape() != dy.shape() && other.shape() == dy.shape() && dy.dtype() == kFloat32 && other.dtype() == kFloat32 &&
      a.dtype() == kFloat32)
    accumulate_grad(a, sum_to_product(dy, other, a.shape()));
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

// y = -a (a bool tensor refused, as PyTorch). da -= dy.
Tensor neg(const Tensor& a) {
  if (a.dtype() == kBool) throw std::invalid_argument("neg: negating a bool tensor is not supported, as in PyTorch");
  Tensor y;
  if (a.dtype() == kFloat32) {
    const Tensor x = a.contiguous();
    y = empty(a.shape());
    kernels::negate(x.data_ptr<float>(), y.data_ptr<float>(), a.numel());
  } else {
    y = binary_values(Binary::Sub, "neg", detail::scalar_tensor(0), a);
  }
  record(y, "neg", {a}, [a](const Tensor& dy) { accumulate_grad(a, neg(dy)); }, Saved::Nothing);
  return y;
}

using detail::scalar_operand;
Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, const Scalar& s) { return add(a, scalar_operand(a, s)); }
Tensor operator-(const Tensor& a, const Scalar& s) { return sub(a, scalar_operand(a, s)); }
Tensor operator*(const Tensor& a, const Scalar& s) { return mul(a, scalar_operand(a, s)); }
Tensor operator/(const Tensor& a, const Scalar& s) { return div(a, scalar_operand(a, s)); }
Tensor operator+(const Scalar& s, const Tensor& a) { return add(scalar_operand(a, s), a); }
Tensor operator-(const Scalar& s, const Tensor& a) { return sub(scalar_operand(a, s), a); }
Tensor operator*(const Scalar& s, const Tensor& a) { return mul(scalar_operand(a, s), a); }
Tensor operator/(const Scalar& s, const Tensor& a) { return div(scalar_operand(a, s), a); }
Tensor Tensor::operator-() const { return microtorch::neg(*this); }

}  // namespace microtorch
