// How a parameter's gradient is held, as a small state machine. The contract it
// keeps is core/grad.h's: grad() is the gradient the next step() and the next accumulation use.
//
//   state     holds                                      enters by
//   kNone     nothing (maybe a zeroed spare buffer)       zero_grad (clear)
//   kDense    a buffer of the parameter's shape           add_dense; hand_out; rows onto a dense gradient
//   kTracked  a dense buffer, nonzero only in touched_    rows into kNone (the default embedding)
//   kSparse   row chunks, no (V, C) buffer                rows with keep_sparse into kNone (sparse=true)
//
// One function per transition (add_dense, add_rows, hand_out, scale, clear). The two row states are the
// fast ones; anything that could make a row outside the held rows nonzero (a dense add, grad() handed to
// a caller who may write anywhere) moves the gradient to kDense, where every consumer takes the full path.
// Optimizers read rows only through grad::RowWalk (door.h, row_walk.cpp), which owns the float order that
// makes a sparse or tracked step bit-identical to the dense one.
#pragma once
#include <mutex>
#include <vector>

#include "../ops/strided.h"
#include "door.h"

namespace microtorch::detail {

using grad::Kind;
using grad::RowChunk;

class GradState {
 public:
  Kind kind() const { return kind_; }
  bool defined() const { return kind_ != Kind::kNone; }

  // --- transitions ---
  // any -> kDense: g (the parameter's shape) is added; `leaf` gradients are owned (written in place later).
  void add_dense(const Tensor& g, bool leaf);
  // any -> kDense: g is added at geometry `at` of a row-major gradient of `shape` (the backward of a view
  // that picks a part: narrow, select, slice, diagonal); the same as add_dense of g placed into zeros of
  // the shape, without building that tensor when a buffer exists: only the part is written.
  void add_dense_at(const Shape& shape, const Tensor& g, const Geometry& at, bool leaf);
  // kNone -> kSparse (keep_sparse) or kTracked; kSparse -> kSparse; kTracked -> kTracked; kDense -> kDense.
  void add_rows(const Shape& shape, RowChunk chunk, bool keep_sparse);
  // grad(): the live dense gradient, handed to a caller who may write into it: kTracked and kSparse become
  // kDense (a sparse gradient is densified once); undefined in kNone.
  Tensor hand_out(const Shape& shape);
  // clip_grad_norm_: every gradient value times coef, in place, keeping the state (rows stay rows).
  void scale(float coef);
  // zero_grad(): -> kNone. Keeps a buffer for reuse only if nobody else can hold it (never handed out).
  void clear();

  // --- reads that change nothing ---
  Tensor dense_copy(const Shape& shape) const;  // the dense gradient (fresh when rows must be added)
  // The dense gradient's p-norm (p > 0 or inf): p = 2 float for float as PyTorch's torch.norm(g, 2) (norm2,
  // norm_kernels.h), other p summed in double.
  double norm(double p) const;
  float norm2() const;
  const std::vector<RowChunk>& chunks() const { return chunks_; }  // kSparse
  const std::vector<int64_t>& touched() const { return touched_; }  // kTracked: rows scattered (repeats kept)
  const Tensor& buffer() const { return dense_; }                    // kDense, kTracked

 private:
  void densify(const Shape& shape);  // kSparse -> kDense
  void own();                        // kDense, kTracked: dense_ made writable in place (owned_)

  Kind kind_ = Kind::kNone;
  Tensor dense_;                  // kDense, kTracked: the buffer; kNone: a zeroed spare or undefined
  bool owned_ = false;            // kDense: ours to write in place (an interior gradient may be borrowed)
  bool handed_out_ = false;       // kDense: grad() returned dense_, so clear() must not reuse it
  std::vector<int64_t> touched_;  // kTracked: rows scattered since the buffer was zero (repeats kept)
  std::vector<RowChunk> chunks_;  // kSparse
};

// t's gradient state, created empty on first use.
GradState& grad_state(const Tensor& t);
// Held while a backward adds into a leaf's gradient: two threads running backward() into one shared leaf
// (hogwild, or two losses on one model) take turns, as PyTorch's AccumulateGrad does. Interior gradients
// belong to one backward and are not locked. A lock from a small fixed table, picked by the tensor.
std::unique_lock<std::mutex> lock_leaf_grad(const Tensor& t);
// t's gradient state or null.
const GradState* find_grad_state(const Tensor& t);

}  // namespace microtorch::detail
