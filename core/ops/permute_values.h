// Permute's copy (permute.cpp). The plain path is permute_values_plain, one element
// at a time through permuted strides; permute_values copies whole runs with memcpy when the last dim stays
// last (a (B, T, H, D) <-> (B, H, T, D) head split: runs of D), else takes the plain path. Tests compare them.
#pragma once
#include <vector>

#include "../tensor.h"

namespace microtorch::detail {

// out (shape[dims[0]], ..., shape[dims[n-1]]) <- in, out[i0, ..., in-1] = in at index i_k on dim dims[k]. Any dtype.
Tensor permute_values(const Tensor& a, const std::vector<int64_t>& dims);
Tensor permute_values_plain(const Tensor& a, const std::vector<int64_t>& dims);

}  // namespace microtorch::detail
