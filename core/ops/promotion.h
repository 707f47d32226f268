// Internal: type promotion's helpers for ops (promotion.cpp; the public result_type is declared in ops.h).
#pragma once
#include "../autograd.h"
#include "../scalar.h"
#include "../tensor.h"

namespace microtorch::detail {

// A zero-dim tensor holding s exactly (float64, int64 or bool), marked as a wrapped number: promotion then
// treats it as the Scalar it came from, not as a tensor.
Tensor scalar_tensor(const Scalar& s);
// s as the wrapped number an op of a and s computes with: already in that op's compute dtype (float32 for
// float32, float16 or integer a with a floating s), so the op makes no cast of it. Promotion ranks it as s.
Tensor scalar_operand(const Tensor& a, const Scalar& s);
bool is_wrapped_number(const Tensor& t);

// The dtype an op computes in for results of dtype d: float16 and bfloat16 compute in float32 (their result
// rounded once at the end, as PyTorch's CPU kernels), every other dtype in itself.
Dtype compute_dtype(Dtype d);

// t's values as dtype d (t itself when it already is), never recorded: for kernels that read values; the
// op records its own backward against the original operands.
Tensor cast_values(const Tensor& t, Dtype d);

}  // namespace microtorch::detail
