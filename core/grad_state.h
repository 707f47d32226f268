// Internal (not installed): how a parameter's gradient is held, as a small state machine. The contract it
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
// Optimizers read rows only through for_each_row, which owns the float order that makes a sparse or
// tracked step bit-identical to the dense one.
#pragma once
#include <cmath>
#include <functional>
#include <utility>
#include <vector>

#include "tensor.h"

namespace microtorch::detail {

// Gradient rows bound for a (V, C) table: row i of `values` is added to row ids[i], times scale[i].
struct RowChunk {
  std::vector<int64_t> ids;  // (n) target rows; -1 marks a row that is skipped (padding_idx)
  Tensor values;             // (n, C) float32
  std::vector<float> scale;  // (n) factors (1/count for scale_grad_by_freq); empty means all 1
};

enum class GradKind { kNone, kDense, kTracked, kSparse };

// One row of the dense gradient as for_each_row hands it out: g[j] is its j-th float. A lone row of a sparse
// gradient is read straight from its chunk: the dense buffer's 0 + v * s (one rounding, then + 0, which makes
// a -0 into +0), worked out as the optimizer reads it, so the row is never copied (a copy then an update of
// the row took twice the time of the update alone, both waiting on memory). Any other row is handed as it is.
struct GradRow {
  const float* src;  // (C)
  float scale;       // for a lone row: its factor
  bool as_is;        // src is the row itself (summed rows, a tracked buffer's row)

  float operator[](int64_t j) const { return as_is ? src[j] : 0.0f + std::fma(src[j], scale, 0.0f); }
  void copy_to(float* out, int64_t C) const {
    for (int64_t j = 0; j < C; ++j) out[j] = (*this)[j];
  }
};

class GradState {
 public:
  GradKind kind() const { return kind_; }
  bool defined() const { return kind_ != GradKind::kNone; }

  // --- transitions ---
  // any -> kDense: g (the parameter's shape) is added; `leaf` gradients are owned (written in place later).
  void add_dense(const Tensor& g, bool leaf);
  // any -> kDense: g (outer, len, inner) is added into [start, start + len) of dim D of a gradient seen as
  // (outer, D, inner) (narrow's and split's backward); the same as add_dense of g placed into zeros of the
  // parameter's shape, without building that tensor: only the range is written when a buffer exists.
  void add_dense_range(const Shape& shape, const Tensor& g, int64_t outer, int64_t D, int64_t start, int64_t inner,
                       bool leaf);
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
  double norm(double p) const;                  // the dense gradient's p-norm (p > 0 or inf), summed in double
  const std::vector<RowChunk>& chunks() const { return chunks_; }  // kSparse

  // The gradient's rows for an optimizer that updates rows only (plain SGD, SparseAdam): calls
  // f(id, g) once per distinct row, g (C) being that row of the dense gradient, same floats (per
  // chunk summed from zero in id order, chunk sums added in arrival order, as the dense buffer gets them).
  // ahead(id) is called a few rows before f(id) so the caller can prefetch its own row. Returns false and
  // calls nothing unless the state is kTracked or kSparse.
  bool for_each_row(int64_t C, const std::function<void(int64_t id, const GradRow& g)>& f,
                    const std::function<void(int64_t id)>& ahead = {}) const;
  // The same calls spread over the kernels' threads (grad_rows_parallel.cpp): each thread takes a run of
  // distinct ids with its own scratch rows, so each g holds the same floats; f (and ahead) must be safe
  // to call at once for different ids. for_each_row is its plain path and the tests' oracle.
  bool for_each_row_parallel(int64_t C, const std::function<void(int64_t id, const GradRow& g)>& f,
                             const std::function<void(int64_t id)>& ahead = {}) const;

 private:
  void densify(const Shape& shape);  // kSparse -> kDense
  void own();                        // kDense, kTracked: dense_ made writable in place (owned_)

  // for_each_row's pieces (grad_rows.cpp), shared with for_each_row_parallel so both give the same floats:
  // group_rows fills the scratch below; the others hand out a range of rows.
  using RowFn = std::function<void(int64_t, const GradRow&)>;
  using AheadFn = std::function<void(int64_t)>;
  void group_rows(int64_t C) const;
  void tracked_rows(int64_t C, const std::vector<int64_t>& ids, size_t lo, size_t hi, const RowFn& f,
                    const AheadFn& ahead) const;
  void summed_rows(int64_t C, size_t lo, size_t hi, float* acc, float* part, const RowFn& f,
                   const AheadFn& ahead) const;
  void prefetch_group(int64_t C, std::pair<size_t, size_t> group, const AheadFn& ahead) const;
  void single_rows(size_t lo, size_t hi, const RowFn& f, const AheadFn& ahead) const;

  // for_each_row's scratch over a sparse gradient's rows, kept between steps: a fresh (n) vector each step
  // is above glibc's mmap threshold for a GPT-2 batch (8192 rows x 32 bytes) and page-faults every time.
  struct RowRef {
    int64_t id;
    size_t chunk;      // which RowChunk (one lookup's backward) the row came from
    const float* src;  // (C) gradient row
    float scale;
  };
  mutable std::vector<RowRef> refs_;
  mutable std::vector<std::pair<int64_t, size_t>> order_, order_scratch_;  // (id, row), sorted by id
  mutable std::vector<char> single_;
  mutable std::vector<std::pair<size_t, size_t>> groups_;
  mutable std::vector<size_t> singles_;
  mutable std::vector<float> acc_, part_;  // (C) each

  GradKind kind_ = GradKind::kNone;
  Tensor dense_;                  // kDense, kTracked: the buffer; kNone: a zeroed spare or undefined
  bool owned_ = false;            // kDense: ours to write in place (an interior gradient may be borrowed)
  bool handed_out_ = false;       // kDense: grad() returned dense_, so clear() must not reuse it
  std::vector<int64_t> touched_;  // kTracked: rows scattered since the buffer was zero (repeats kept)
  std::vector<RowChunk> chunks_;  // kSparse
};

// t's gradient state, created empty on first use.
GradState& grad_state(const Tensor& t);
// t's gradient state or null.
const GradState* find_grad_state(const Tensor& t);

// accumulate_grad(t, g placed into zeros of t's shape at [start, start + g.size(dim)) of dim d), t seen as
// (outer, D, inner) around d; g must be float32 (outer, len, inner) in t's dims.
void accumulate_grad_range(const Tensor& t, const Tensor& g, int64_t outer, int64_t D, int64_t start, int64_t inner);
// The plain path it speeds up (the tests' oracle): the zero-filled tensor built, then accumulate_grad.
void accumulate_grad_range_plain(const Tensor& t, const Tensor& g, int64_t outer, int64_t D, int64_t start,
                                 int64_t inner);

// Adds gradient rows into the gradient of the 2-D t (the embedding's backward); keep_sparse holds them as
// rows, else they are scattered into a dense buffer that remembers them.
void accumulate_grad_rows(const Tensor& t, RowChunk chunk, bool keep_sparse);

}  // namespace microtorch::detail
