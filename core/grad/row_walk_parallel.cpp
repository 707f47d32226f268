// grad::RowWalk::walk_parallel. Plain path it speeds up: RowWalk::walk (row_walk.cpp).
// Each distinct id's row is summed and handed out by the same code (summed_rows, single_rows,
// tracked_rows), on whichever thread owns that id's place in the list: a thread takes a contiguous run of
// the list (parallel_for's fixed chunks) with its own (C) scratch rows, so every row holds the floats the
// plain path gives it, for every thread count. Only the order in which rows are handed out changes, which
// an update of row id alone (plain SGD, SparseAdam) cannot see.
#include <algorithm>
#include <vector>

#include "door.h"
#include "rows.h"
#include "state.h"
#include "../kernels/parallel.h"

namespace microtorch::grad {

using detail::GradState;

bool RowWalk::walk_parallel(const Tensor& p, const RowFn& f, const AheadFn& ahead) {
  const GradState* g = detail::find_grad_state(p);
  if (!g) return false;
  const int64_t C = p.shape().back();
  // Rows per chunk: about kGrain floats of gradient, as the elementwise kernels take.
  const int64_t grain = std::max<int64_t>(1, kernels::kGrain / std::max<int64_t>(C, 1));
  if (g->kind() == Kind::kTracked) {
    tracked_ids_ = detail::sorted_unique(g->touched());
    const float* dense = g->buffer().data_ptr<float>();
    kernels::parallel_for(0, static_cast<int64_t>(tracked_ids_.size()), grain, [&](int64_t lo, int64_t hi) {
      tracked_rows(dense, C, tracked_ids_, static_cast<size_t>(lo), static_cast<size_t>(hi), f, ahead);
    });
    return true;
  }
  if (g->kind() != Kind::kSparse) return false;
  group_rows(g->chunks(), C);
  kernels::parallel_for(0, static_cast<int64_t>(groups_.size()), grain, [&](int64_t lo, int64_t hi) {
    std::vector<float> scratch(2 * static_cast<size_t>(C));  // acc, part: this chunk's own
    summed_rows(C, static_cast<size_t>(lo), static_cast<size_t>(hi), scratch.data(), scratch.data() + C, f, ahead);
  });
  kernels::parallel_for(0, static_cast<int64_t>(singles_.size()), grain, [&](int64_t lo, int64_t hi) {
    single_rows(static_cast<size_t>(lo), static_cast<size_t>(hi), f, ahead);
  });
  return true;
}

}  // namespace microtorch::grad
