// Internal to core/kernels: the four binary ops as functors (of any element type), and the switch that picks one per call, so
// each loop (elementwise.cpp, broadcast.cpp) is compiled once per op with the op inlined in its body.
// `apply` is the per-element form, for the plain reference loops.
#pragma once
#include <type_traits>

#include "elementwise.h"

namespace microtorch::kernels {

// Integers wrap around on overflow, as PyTorch's (two's complement): the arithmetic is done unsigned, where
// C++ defines the wrap, and converted back.
template <class T, bool = std::is_integral_v<T> && !std::is_same_v<T, bool>> struct WrappingOf { using type = T; };
template <class T> struct WrappingOf<T, true> { using type = std::make_unsigned_t<T>; };
template <class T> using Wrapping = typename WrappingOf<T>::type;
struct Add { template <class T> T operator()(T x, T y) const { return T(Wrapping<T>(x) + Wrapping<T>(y)); } };
struct Sub { template <class T> T operator()(T x, T y) const { return T(Wrapping<T>(x) - Wrapping<T>(y)); } };
struct Mul { template <class T> T operator()(T x, T y) const { return T(Wrapping<T>(x) * Wrapping<T>(y)); } };
struct Div { template <class T> T operator()(T x, T y) const { return x / y; } };

// Calls f with the functor of op.
template <class F> void with_op(BinaryOp op, F&& f) {
  switch (op) {
    case BinaryOp::Add: f(Add{}); break;
    case BinaryOp::Sub: f(Sub{}); break;
    case BinaryOp::Mul: f(Mul{}); break;
    case BinaryOp::Div: f(Div{}); break;
  }
}

// One element, the op chosen here: x op y.
inline float apply(BinaryOp op, float x, float y) {
  float r = 0.0f;
  with_op(op, [&](auto f) { r = f(x, y); });
  return r;
}

}  // namespace microtorch::kernels
