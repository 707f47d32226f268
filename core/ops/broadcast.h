// Internal (not installed): undoing broadcasting in a backward. Not an op: nothing here is recorded.
#pragma once
#include "../tensor.h"

namespace microtorch {

// g summed over the dims that broadcasting added or stretched, down to `shape` (a broadcast input's shape).
Tensor sum_to(const Tensor& g, const Shape& shape);

}  // namespace microtorch
