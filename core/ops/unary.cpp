// Elementwise tanh, relu, exp, log, sqrt, rsqrt, pow, sigmoid, abs. float32 and float64 compute natively;
// float16 and bfloat16 in float32, rounded back once (as PyTorch's CPU kernels); integers and bool give
// float32 for the float-valued ops (exp of int64 is float32, as PyTorch) and keep their dtype for relu and abs.
// float32 runs on fastmath.h's vectorizable functions, float64 on <cmath>'s. Backward closures keep the output
// (detached: no cycle) or the input. Gradients follow PyTorch's formulas, edge points included (abs'(0) = 0;
// pow's d/dx = e x^(e-1), infinite at 0 for e < 1).
#include <cmath>
#include <stdexcept>
#include <string>

#include "../autograd.h"
#include "../grad.h"
#include "../kernels/fastmath.h"
#include "../kernels/parallel.h"
#include "../ops.h"
#include "dispatch.h"
#include "promotion.h"
#include "strided.h"

namespace microtorch {

namespace {

// The element functions, float32 on fastmath.h, float64 on <cmath>.
float exp_of(float x) { return kernels::fast_exp(x); }
double exp_of(double x) { return std::exp(x); }
float tanh_of(float x) { return kernels::fast_tanh(x); }
double tanh_of(double x) { return std::tanh(x); }

// out[i] = f(x[i]) over a float32 or float64 tensor (not recorded). f is a generic lambda, inlined, so the
// loop vectorizes; large tensors are split across threads (each element written once: the same floats for
// any count). A dense input of any layout (a transposed one) runs as one flat loop, its output laid out as it.
template <class F> Tensor map(const Tensor& a_in, F f) {
  const Tensor a = detail::is_dense(a_in) ? a_in : a_in.contiguous();
  Tensor y = detail::empty_like_layout(a, a.dtype());
  detail::dispatch_float(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = static_cast<const T*>(static_cast<const void*>(a.data_ptr<T>()));
    T* out = y.data_ptr<T>();
    kernels::parallel_for(0, a.numel(), kernels::kGrain, [&](int64_t lo, int64_t hi) {
      T* __restrict o = out;
      for (int64_t i = lo; i < hi; ++i) o[i] = f(x[i]);
    });
  });
  return y;
}

// out[i] = f(u[i], v[i]) for two tensors of one shape and float dtype (not recorded); for backward closures.
// Two dense tensors of one layout run flat; otherwise both are made row-major first.
template <class F> Tensor map2(const Tensor& u_in, const Tensor& v_in, F f) {
  const bool flat = detail::is_dense(u_in) && u_in.strides() == v_in.strides() && detail::is_dense(v_in);
  const Tensor u = flat ? u_in : u_in.contiguous(), v = detail::cast_values(flat ? v_in : v_in.contiguous(), u.dtype());
  Tensor y = detail::empty_like_layout(u, u.dtype());
  detail::dispatch_float(u.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *p = u.data_ptr<T>(), *q = v.data_ptr<T>();
    T* out = y.data_ptr<T>();
    kernels::parallel_for(0, u.numel(), kernels::kGrain, [&](int64_t lo, int64_t hi) {
      T* __restrict o = out;
      for (int64_t i = lo; i < hi; ++i) o[i] = f(p[i], q[i]);
    });
  });
  return y;
}

// A float-valued op on any dtype: float32 and float64 natively, float16 and bfloat16 through float32 (the
// casts recorded, so gradients come back in the input's dtype), integers and bool as float32.
void check_defined(const char* name, const Tensor& a) {
  if (!a.defined())
    throw std::invalid_argument(std::string(name) + ": expected a tensor, got an undefined tensor "
                                "(default-constructed, or an absent gradient)");
}

template <class Op> Tensor floating(const char* name, const Tensor& a, Op op) {
  check_defined(name, a);
  if (a.dtype() == kFloat32 || a.dtype() == kFloat64) return op(a);
  if (a.is_floating_point()) return op(a.to(kFloat32)).to(a.dtype());
  return op(a.to(kFloat32));
}

}  // namespace

// y = tanh(a). da += dy * (1 - y^2).
Tensor tanh(const Tensor& a_in) {
  return floating("tanh", a_in, [](const Tensor& a) {
    Tensor y = map(a, [](auto x) { return tanh_of(x); });
    record(y, "tanh", {a}, [a, y = y.detach()](const Tensor& dy) {
      accumulate_grad(a, map2(dy, y, [](auto g, auto t) { return g * (1 - t * t); }));
    }, Saved::Output);
    return y;
  });
}

// y = max(a, 0), NaN kept (as PyTorch's clamp_min); integers keep their dtype. da += dy where y is not <= 0
// (PyTorch's threshold_backward on the output): a NaN passes its gradient, as in PyTorch.
Tensor relu(const Tensor& a) {
  check_defined("relu", a);
  if (!a.is_floating_point()) {
    if (a.dtype() == kBool) throw std::invalid_argument("relu: not defined for a bool tensor, as in PyTorch");
    return where(a > 0, a, zeros({}, a.dtype()));
  }
  return floating("relu", a, [](const Tensor& x) {
    Tensor y = map(x, [](auto v) { return v > 0 ? v : (v != v ? v : decltype(v)(0)); });
    record(y, "relu", {x}, [x, y = y.detach()](const Tensor& dy) {
      accumulate_grad(x, map2(dy, y, [](auto g, auto out) { return out <= 0 ? decltype(g)(0) : g; }));
    }, Saved::Output);
    return y;
  });
}

// y = exp(a). da += dy * y.
Tensor exp(const Tensor& a_in) {
  return floating("exp", a_in, [](const Tensor& a) {
    Tensor y = map(a, [](auto x) { return exp_of(x); });
    record(y, "exp", {a}, [a, y = y.detach()](const Tensor& dy) { accumulate_grad(a, dy * y); }, Saved::Output);
    return y;
  });
}

// y = log(a). da += dy / a.
Tensor log(const Tensor& a_in) {
  return floating("log", a_in, [](const Tensor& a) {
    Tensor y = map(a, [](auto x) { return std::log(x); });
    record(y, "log", {a}, [a](const Tensor& dy) { accumulate_grad(a, dy / a); });
    return y;
  });
}

// y = sqrt(a). da += dy / (2 y) (infinite at a = 0, as PyTorch).
Tensor sqrt(const Tensor& a_in) {
  return floating("sqrt", a_in, [](const Tensor& a) {
    Tensor y = map(a, [](auto x) { return std::sqrt(x); });
    record(y, "sqrt", {a}, [a, y = y.detach()](const Tensor& dy) {
      accumulate_grad(a, map2(dy, y, [](auto g, auto r) { return g / (2 * r); }));
    }, Saved::Output);
    return y;
  });
}

// y = 1 / sqrt(a). da += -0.5 dy y^3.
Tensor rsqrt(const Tensor& a_in) {
  return floating("rsqrt", a_in, [](const Tensor& a) {
    Tensor y = map(a, [](auto x) { return 1 / std::sqrt(x); });
    record(y, "rsqrt", {a}, [a, y = y.detach()](const Tensor& dy) {
      accumulate_grad(a, map2(dy, y, [](auto g, auto r) { return decltype(g)(-0.5) * g * (r * r * r); }));
    }, Saved::Output);
    return y;
  });
}

// x^e for one element, with PyTorch's exact special cases (x*x for 2, sqrt for 0.5, ...).
template <class T> static T pow_one(T x, double e) {
  if (e == 2.0) return x * x;
  if (e == 3.0) return x * x * x;
  if (e == 1.0) return x;
  if (e == 0.5) return std::sqrt(x);
  if (e == -0.5) return 1 / std::sqrt(x);
  if (e == -1.0) return 1 / x;
  if (e == -2.0) return 1 / (x * x);
  if (e == 0.0) return 1;
  return std::pow(x, static_cast<T>(e));
}

// y = a^e. da += dy * (e * a^(e-1)); 0 when e = 0 (PyTorch's pow_backward).
Tensor pow(const Tensor& a_in, double exponent) {
  return floating("pow", a_in, [exponent](const Tensor& a) {
    Tensor y = map(a, [exponent](auto x) { return pow_one(x, exponent); });
    record(y, "pow", {a}, [a, exponent](const Tensor& dy) {
      if (exponent == 0.0) return accumulate_grad(a, zeros(a.shape(), a.dtype()));
      accumulate_grad(a, map2(dy, a, [exponent](auto g, auto x) {
        return g * (static_cast<decltype(g)>(exponent) * pow_one(x, exponent - 1.0));
      }));
    });
    return y;
  });
}

// y = 1 / (1 + exp(-a)). da += dy (1 - y) y.
Tensor sigmoid(const Tensor& a_in) {
  return floating("sigmoid", a_in, [](const Tensor& a) {
    Tensor y = map(a, [](auto x) { return 1 / (1 + exp_of(-x)); });
    record(y, "sigmoid", {a}, [a, y = y.detach()](const Tensor& dy) {
      accumulate_grad(a, map2(dy, y, [](auto g, auto s) { return g * (1 - s) * s; }));
    }, Saved::Output);
    return y;
  });
}

// y = |a|; integers keep their dtype. da += dy sign(a), sign(0) = 0 (as PyTorch).
Tensor abs(const Tensor& a) {
  check_defined("abs", a);
  if (!a.is_floating_point()) return a.dtype() == kBool ? a.clone() : where(a < 0, -a, a);
  return floating("abs", a, [](const Tensor& x) {
    Tensor y = map(x, [](auto v) { return std::fabs(v); });
    record(y, "abs", {x}, [x](const Tensor& dy) {
      accumulate_grad(x, map2(dy, x, [](auto g, auto v) { return g * static_cast<decltype(g)>((v > 0) - (v < 0)); }));
    });
    return y;
  });
}

}  // namespace microtorch
