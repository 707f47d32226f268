// Scalar: a plain number as an op's operand (x * 2, x + 0.5f, x == 0, fill_(1)), as c10::Scalar. It keeps
// what it was written as, a bool, an integer or a floating-point number, because type promotion reads that:
// ids * 2 stays int64, ids * 2.0f is float32, and a float32 tensor times 2.0 stays float32 (a number never
// widens a tensor of its own kind; dtype.h and ops/promotion.cpp have the rules).
#pragma once
#include <cstdint>
#include <type_traits>

#include "dtype.h"

namespace microtorch {

class Scalar {
 public:
  enum class Kind { Bool, Integral, Floating };
  // Any C++ number: bool, the integer types, float and double.
  template <class T, class = std::enable_if_t<std::is_arithmetic_v<T>>>
  Scalar(T v) {  // NOLINT: implicit, as c10::Scalar, so x * 2 and x.fill_(0.5f) read naturally
    if constexpr (std::is_same_v<T, bool>) {
      kind_ = Kind::Bool;
      i_ = v ? 1 : 0;
      d_ = i_;
    } else if constexpr (std::is_integral_v<T>) {
      kind_ = Kind::Integral;
      i_ = static_cast<int64_t>(v);
      d_ = static_cast<double>(v);
    } else {
      kind_ = Kind::Floating;
      d_ = static_cast<double>(v);
    }
  }
  Kind kind() const { return kind_; }
  bool is_floating_point() const { return kind_ == Kind::Floating; }
  bool is_integral() const { return kind_ == Kind::Integral; }
  bool is_boolean() const { return kind_ == Kind::Bool; }
  double to_double() const { return d_; }
  int64_t to_long() const { return kind_ == Kind::Floating ? static_cast<int64_t>(d_) : i_; }  // floats: checked by callers
  // The dtype a tensor holding exactly this number has: float64, int64 or bool.
  Dtype dtype() const { return kind_ == Kind::Floating ? kFloat64 : kind_ == Kind::Integral ? kInt64 : kBool; }

 private:
  Kind kind_ = Kind::Integral;
  double d_ = 0.0;
  int64_t i_ = 0;
};

}  // namespace microtorch
