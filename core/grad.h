// How a gradient is held while it accumulates. accumulate_grad and accumulate_grad_rows are the only
// two ways anything is added into a gradient, so a parameter's gradient can live as a dense buffer,
// as a list of rows (a sparse embedding), or as a dense buffer that remembers which rows were written
// (dense semantics at sparse cost: zero_grad and a plain SGD step then touch only those rows).
#pragma once
#include <vector>

#include "tensor.h"

namespace microtorch {

// Gradient rows bound for a (V, C) table: row i of `values` is added to row ids[i], times scale[i].
struct RowChunk {
  std::vector<int64_t> ids;  // (n) target rows; -1 marks a row that is skipped (padding_idx)
  Tensor values;             // (n, C) float32
  std::vector<float> scale;  // (n) factors (1/count for scale_grad_by_freq); empty means all 1
};

struct Grad {
  Tensor dense;                  // a buffer of the parameter's shape, valid when `live`
  bool live = false;             // a dense gradient is present (the buffer may stay, zeroed, when not)
  bool owned = false;            // the buffer is ours to write in place (not another tensor's storage)
  bool all_rows = false;         // a dense contribution may have written every element
  std::vector<int64_t> touched;  // rows scattered into `dense` since it was all zero (with repeats)
  std::vector<RowChunk> rows;    // sparse contributions, kept as rows
  bool rows_live = false;        // a sparse gradient is present (possibly with no rows: all padding)

  bool defined() const { return live || rows_live; }
  bool only_rows() const { return rows_live && !live; }  // a pure sparse gradient
  bool only_touched_rows() const { return live && owned && !all_rows && !rows_live; }
  Tensor to_dense(const Shape& shape) const;  // the dense gradient; fresh when rows must be added
  std::vector<int64_t> unique_touched() const;  // sorted, de-duplicated `touched`
  void clear();  // as zero_grad: O(touched rows) when only rows were written, keeping the buffer
};

// Adds a dense gradient g (same shape as t) into t's gradient, if t requires grad.
void accumulate_grad(const Tensor& t, const Tensor& g);

// Adds gradient rows into the gradient of the 2-D t. keep_sparse holds them as rows (no (V, C)
// buffer); otherwise they are scattered into the dense buffer in order and the rows remembered.
void accumulate_grad_rows(const Tensor& t, RowChunk chunk, bool keep_sparse);

// The sparse gradient of t as PyTorch shows it (uncoalesced: ids in order, repeats kept, padding
// removed, scale applied), built without a dense buffer. Empty when t's gradient has no rows.
struct SparseGrad {
  Tensor indices;  // (n) int64
  Tensor values;   // (n, C) float32
};
SparseGrad sparse_grad(const Tensor& t);

// Sets t's gradient to none, as PyTorch 2's zero_grad(set_to_none=True); keeps a reusable buffer.
void zero_grad(const Tensor& t);

}  // namespace microtorch
