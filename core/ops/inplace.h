// Internal: the one path every in-place op writes through (inplace.cpp), for ops written elsewhere
// (index_put_, scatter_, index_add_, masked_fill_).
#pragma once
#include <functional>
#include <vector>

#include "../tensor.h"

namespace microtorch::detail {

// The op's value from (self's old value, operands...), computed out of place; recorded when the write is.
using OutOfPlace = std::function<Tensor(const std::vector<Tensor>&)>;

// self <- f(self, operands) in place, as the in-place ops of inplace.cpp: refused on a leaf that requires
// grad (or a view of one) under grad mode and on an expanded self; recorded when anything requires grad
// (through a view, its base gets a CopySlices node); the version bumped.
Tensor& write_in_place(const char* op, Tensor& self, const std::vector<Tensor>& operands, const OutOfPlace& f);

}  // namespace microtorch::detail
