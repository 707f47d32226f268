// Internal (not installed): the embedding backward's plain reference loop (nn/embedding_op.cpp), the oracle
// the tests hold the row-kept and row-tracked gradients (core/grad_rows.cpp) to.
#pragma once
#include <cstdint>
#include <vector>

namespace microtorch::detail {

// dW (V, C) += dout (n, C) scattered to rows ids (n) (id < 0: skipped), each row times scale[k] (empty: 1).
void embedding_backward_reference(float* dW, const std::vector<int64_t>& ids, const float* dout,
                                  const std::vector<float>& scale, int64_t C);

}  // namespace microtorch::detail
