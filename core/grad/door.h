// The one door into the gradient machine for nn/ and optim/ (internal, not installed). What a parameter's
// gradient is (its Kind), the rows an embedding's backward adds, the reads and in-place scaling clipping
// needs, and RowWalk: the distinct rows of a row gradient, handed to an optimizer that updates rows only.
// How a gradient is held behind this door is core/grad/state.h; the contract it keeps is core/grad.h's.
#pragma once
#include <cmath>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "../tensor.h"

namespace microtorch::detail {
class GradState;
}

namespace microtorch::grad {

// How a parameter's gradient is held (core/grad/state.h has the transitions):
//   kNone     no gradient (zero_grad, or no backward has reached it)
//   kDense    a buffer of the parameter's shape
//   kTracked  a dense (V, C) buffer, nonzero only in the rows an embedding's backward touched
//   kSparse   the rows themselves, no (V, C) buffer (an embedding with sparse(true))
enum class Kind { kNone, kDense, kTracked, kSparse };
Kind kind(const Tensor& p);

// Gradient rows bound for a (V, C) table: row i of `values` is added to row ids[i], times scale[i].
struct RowChunk {
  std::vector<int64_t> ids;  // (n) target rows; -1 marks a row that is skipped (padding_idx)
  Tensor values;             // (n, C) float32
  std::vector<float> scale;  // (n) factors (1/count for scale_grad_by_freq); empty means all 1
};

// The embedding's backward: adds rows into the gradient of the 2-D weight; keep_sparse holds them as rows
// (kSparse), else they are scattered into a dense buffer that remembers them (kTracked).
void add_rows(const Tensor& weight, RowChunk rows, bool keep_sparse);

// The gradient of the 2-D weight becomes exactly `rows`, as zero_grad then add_rows(weight, rows,
// keep_sparse) would make it, except that a tracked buffer is kept (only its touched rows are zeroed).
// DataParallel (distributed/) replaces a rank's own rows by every rank's. std::invalid_argument before
// anything changes if the values are not float32 (ids.size(), C) or an id is outside [-1, V).
void set_rows(const Tensor& weight, RowChunk rows, bool keep_sparse);

// The dense gradient as the next step reads it, without handing it out (grad() would make a row gradient
// dense for good); undefined in kNone. A kSparse gradient is summed into a fresh tensor.
Tensor dense(const Tensor& p);
// The gradient's p-norm (norm_type > 0 or inf); 0 in kNone. norm_type 2 is PyTorch 1.13's float32
// torch.norm(g, 2) bit for bit (core/grad/norm_kernels.h; a row gradient as its dense or coalesced form);
// other norm types are summed in double.
double norm(const Tensor& p, double norm_type);
// torch.norm(x, 2) of n contiguous floats, float for float as PyTorch 1.13 (clip_grad_norm_'s total over the
// per-gradient norms).
float norm2(const float* x, int64_t n);
// Every gradient value times coef, in place, keeping the Kind (rows stay rows).
void scale(const Tensor& p, float coef);

// After writing a tensor's values in place through data_ptr (an optimizer step, an init fill, a renorm):
// bumps its version, so a backward that saved the old values refuses to run.
void bump_version(const Tensor& t);

// One row of the dense gradient as RowWalk hands it out: g[j] is its j-th float. A lone row of a sparse
// gradient is read straight from its chunk: the dense buffer's 0 + v * s (one rounding, then + 0, which makes
// a -0 into +0), worked out as the optimizer reads it, so the row is never copied. Any other row is handed
// as it is.
struct Row {
  const float* src;  // (C)
  float scale;       // for a lone row: its factor
  bool as_is;        // src is the row itself (summed rows, a tracked buffer's row)

  float operator[](int64_t j) const { return as_is ? src[j] : 0.0f + std::fma(src[j], scale, 0.0f); }
  void copy_to(float* out, int64_t C) const {
    for (int64_t j = 0; j < C; ++j) out[j] = (*this)[j];
  }
};

// The distinct rows of a kTracked or kSparse gradient, each as the dense gradient holds it (the same floats:
// per chunk summed from zero in id order, chunk sums added in arrival order). An optimizer owns one and
// keeps it between steps: it holds the walk's scratch (a GPT-2 batch's row lists are above glibc's mmap
// threshold, so fresh ones would page-fault every step).
class RowWalk {
 public:
  using RowFn = std::function<void(int64_t id, const Row& g)>;
  using AheadFn = std::function<void(int64_t id)>;

  // Calls f(id, g) once per distinct row of p's gradient; ahead(id) a few rows before f(id), so the caller
  // can prefetch its own row. Returns false and calls nothing unless the gradient is kTracked or kSparse.
  bool walk(const Tensor& p, const RowFn& f, const AheadFn& ahead = {});
  // The same calls spread over the kernels' threads (row_walk_parallel.cpp): each thread takes a run of
  // distinct ids with its own scratch rows, so each g holds the same floats; f (and ahead) must be safe to
  // call at once for different ids. walk() is its plain path and the tests' oracle.
  bool walk_parallel(const Tensor& p, const RowFn& f, const AheadFn& ahead = {});
  // walk() over a gradient state itself, rows of C floats (GradState::norm reads a sparse gradient so).
  bool walk(const detail::GradState& g, int64_t C, const RowFn& f, const AheadFn& ahead = {});

 private:
  // A sparse gradient's rows, grouped by group_rows (the vectors are reused from walk to walk):
  //   refs_    every row, in arrival order (chunk, then row within it)
  //   order_   (id, arrival index) of every row, sorted: the rows by id, each id's rows in arrival order
  //   groups_  [begin, end) in order_ of each id met more than once, by id
  //   singles_ the arrival index of each row whose id is met once, in arrival order
  struct RowRef {
    int64_t id;
    size_t chunk;      // which RowChunk (one lookup's backward) the row came from
    const float* src;  // (C) gradient row
    float scale;
  };
  void group_rows(const std::vector<RowChunk>& chunks, int64_t C);
  void tracked_rows(const float* dense, int64_t C, const std::vector<int64_t>& ids, size_t lo, size_t hi,
                    const RowFn& f, const AheadFn& ahead) const;
  void summed_rows(int64_t C, size_t lo, size_t hi, float* acc, float* part, const RowFn& f,
                   const AheadFn& ahead) const;
  void prefetch_group(int64_t C, std::pair<size_t, size_t> group, const AheadFn& ahead) const;
  void single_rows(size_t lo, size_t hi, const RowFn& f, const AheadFn& ahead) const;

  std::vector<RowRef> refs_;
  std::vector<std::pair<int64_t, size_t>> order_, order_scratch_;  // (id, row), sorted by id
  std::vector<char> single_;
  std::vector<std::pair<size_t, size_t>> groups_;
  std::vector<size_t> singles_;
  std::vector<int64_t> tracked_ids_;
  std::vector<float> acc_, part_;  // (C) each
};

}  // namespace microtorch::grad
