// Internal (not installed): the dtype checks nn/'s ops share. Every nn op runs in float32 (its fast path),
// float64 (a plain loop templated on double, or composed from core ops) and float16/bfloat16 (converted to
// float32, run there, converted back: computed in float32 inside, as PyTorch's CPU kernels).
#pragma once
#include <stdexcept>
#include <string>

#include "../../core/tensor.h"

namespace microtorch::nn::internal {

// float16 or bfloat16: stored in 16 bits, computed in float32.
inline bool is_half_kind(Dtype d) { return d == kFloat16 || d == kBFloat16; }

// std::invalid_argument unless t is a defined floating-point tensor, naming op, what and its dtype.
inline void check_floating(const char* op, const char* what, const Tensor& t) {
  if (!t.defined()) throw std::invalid_argument(std::string(op) + ": " + what + " is undefined");
  if (!t.is_floating_point())
    throw std::invalid_argument(std::string(op) + ": " + what +
                                " must be floating point (float32, float64, float16 or bfloat16), got " +
                                dtype_name(t.dtype()) + " of shape " + shape_str(t.shape()));
}

// std::invalid_argument unless the defined t has dtype want: nn's functional ops refuse mixed float dtypes
// (PyTorch: "expected scalar type Double but found Float").
inline void check_same_dtype(const char* op, const char* what, const Tensor& t, Dtype want) {
  if (t.defined() && t.dtype() != want)
    throw std::invalid_argument(std::string(op) + ": " + what + " must have the input's dtype " + dtype_name(want) +
                                ", got " + dtype_name(t.dtype()) + " (mixed dtypes are refused, as PyTorch; convert "
                                "with .to(" + dtype_name(want) + "))");
}

// t as float32 (a differentiable cast; t itself when float32 or undefined).
inline Tensor to_float32(const Tensor& t) { return t.defined() ? t.to(kFloat32) : t; }

}  // namespace microtorch::nn::internal
