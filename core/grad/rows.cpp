// A gradient held as rows (state.h): the row kernels that fix the float order, with the embedding backward's
// plain loop they are held to; the row transitions (add_rows, densify); the reads (dense_copy, norm). The
// dense transitions are in state.cpp; optimizers read rows through grad::RowWalk (row_walk.cpp).
#include "rows.h"

#include <algorithm>
#include <cmath>

#include "norm_kernels.h"
#include "../kernels/prefetch.h"

namespace microtorch::detail {

// --- row kernels (the float order lives here and only here) ---

// dense (V, C) += rows of the chunk, in order, straight into each row. fma with scale 1 is exactly an add.
// Only for a buffer that is all zero: there it makes the floats of summed_rows below. Only the rows with
// ids in [lo, hi) (scatter_rows_into_zeros_parallel gives each thread its own range).
void scatter_rows_into_zeros(float* dense, int64_t C, const RowChunk& chunk, int64_t lo, int64_t hi) {
  const float* values = chunk.values.data_ptr<float>();
  for (size_t i = 0; i < chunk.ids.size(); ++i) {
    if (chunk.ids[i] < lo || chunk.ids[i] >= hi) continue;  // padding (-1) included
    float* dst = dense + chunk.ids[i] * C;  // seek to row ids[i]
    const float* src = values + i * C;      // row i of the chunk
    const float s = chunk.scale.empty() ? 1.0f : chunk.scale[i];
    for (int64_t j = 0; j < C; ++j) dst[j] = std::fma(src[j], s, dst[j]);
  }
}

// The chunk's rows summed per id from zero, in index order: the rows of the (V, C) gradient PyTorch's
// embedding backward builds from zeros (dW[ids[n]] += dout[n]). It is added to an existing gradient as one
// term, so a tied head gets head + (e1 + e2), as PyTorch, not (head + e1) + e2.
void scatter_rows(float* dense, int64_t C, const RowChunk& chunk) {
  std::vector<int64_t> ids;
  for (int64_t id : chunk.ids)
    if (id >= 0) ids.push_back(id);  // padding (-1) dropped
  ids = sorted_unique(std::move(ids));
  std::vector<float> sums(ids.size() * C, 0.0f);  // (u, C)
  const float* values = chunk.values.data_ptr<float>();
  for (size_t i = 0; i < chunk.ids.size(); ++i) {
    if (chunk.ids[i] < 0) continue;
    const size_t slot = std::lower_bound(ids.begin(), ids.end(), chunk.ids[i]) - ids.begin();
    float* dst = sums.data() + slot * C;  // seek to the id's summed row
    const float* src = values + i * C;    // row i of the chunk
    const float s = chunk.scale.empty() ? 1.0f : chunk.scale[i];
    for (int64_t j = 0; j < C; ++j) dst[j] = std::fma(src[j], s, dst[j]);
  }
  for (size_t r = 0; r < ids.size(); ++r) {
    float* dst = dense + ids[r] * C;  // seek to row ids[r]
    const float* src = sums.data() + r * C;
    for (int64_t j = 0; j < C; ++j) dst[j] += src[j];
  }
}

std::vector<int64_t> sorted_unique(std::vector<int64_t> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// --- the row transitions ---

void GradState::add_rows(const Shape& shape, RowChunk chunk, bool keep_sparse) {
  const int64_t C = shape.back();
  switch (kind_) {
    case Kind::kNone:
      if (keep_sparse) {
        chunks_.push_back(std::move(chunk));
        kind_ = Kind::kSparse;
        return;
      }
      if (!dense_.defined()) dense_ = zeros(shape);  // else the zeroed spare
      owned_ = true;
      handed_out_ = false;
      scatter_rows_into_zeros_parallel(dense_.data_ptr<float>(), shape.front(), C, chunk);
      for (int64_t id : chunk.ids)
        if (id >= 0) touched_.push_back(id);
      kind_ = Kind::kTracked;
      return;
    case Kind::kSparse:
      if (keep_sparse) {
        chunks_.push_back(std::move(chunk));
        return;
      }
      densify(shape);
      scatter_rows(dense_.data_ptr<float>(), C, chunk);
      return;
    case Kind::kTracked:
      scatter_rows(dense_.data_ptr<float>(), C, chunk);
      for (int64_t id : chunk.ids)
        if (id >= 0) touched_.push_back(id);
      return;
    case Kind::kDense:
      own();
      scatter_rows(dense_.data_ptr<float>(), C, chunk);
      return;
  }
}

void GradState::densify(const Shape& shape) {
  Tensor out = dense_.defined() ? dense_ : zeros(shape);  // the spare is zero
  for (const RowChunk& chunk : chunks_) scatter_rows(out.data_ptr<float>(), shape.back(), chunk);
  chunks_.clear();
  dense_ = out;
  owned_ = true;
  handed_out_ = false;
  kind_ = Kind::kDense;
}

// --- reads ---

Tensor GradState::dense_copy(const Shape& shape) const {
  switch (kind_) {
    case Kind::kNone:
      return Tensor();
    case Kind::kSparse: {
      Tensor out = zeros(shape);
      for (const RowChunk& chunk : chunks_) scatter_rows(out.data_ptr<float>(), shape.back(), chunk);
      return out;
    }
    default:
      return dense_;
  }
}

// PyTorch's coalesce() of a sparse gradient, whose rows are the chunks' rows concatenated in arrival order:
// (u, C) for the u distinct ids in increasing order, each id's rows added from zero in arrival order, one at
// a time (a row times its scale rounded first). Not RowWalk's floats, which sum each chunk first as the dense
// gradient does: torch.norm of a sparse gradient reads these.
static std::vector<float> coalesced_values(const std::vector<RowChunk>& chunks, int64_t C) {
  struct Ref {
    int64_t id;
    const float* src;  // (C)
    float scale;
  };
  std::vector<Ref> refs;  // every row, in arrival order
  for (const RowChunk& chunk : chunks)
    for (size_t i = 0; i < chunk.ids.size(); ++i)
      if (chunk.ids[i] >= 0)  // padding (-1) holds no row
        refs.push_back({chunk.ids[i], chunk.values.data_ptr<float>() + i * C, chunk.scale.empty() ? 1.0f : chunk.scale[i]});
  std::stable_sort(refs.begin(), refs.end(), [](const Ref& a, const Ref& b) { return a.id < b.id; });
  std::vector<float> values;
  for (size_t r = 0; r < refs.size(); ++r) {
    if (r == 0 || refs[r].id != refs[r - 1].id) values.resize(values.size() + static_cast<size_t>(C), 0.0f);
    float* dst = values.data() + values.size() - C;  // the id's coalesced row
    for (int64_t j = 0; j < C; ++j) {
      const float v = refs[r].src[j] * refs[r].scale;
      dst[j] = dst[j] + v;
    }
  }
  return values;
}

// The 2-norm of the gradient PyTorch would hold, float for float (norm_kernels.h): a dense buffer as one run of
// floats; a tracked buffer's touched rows at their flat offsets in (V, C), in row order (the other rows are
// zero); a sparse gradient as PyTorch's coalesced values (coalesced_values).
float GradState::norm2() const {
  switch (kind_) {
    case Kind::kNone:
      return 0.0f;
    case Kind::kDense: {
      const Tensor d = dense_.is_contiguous() ? dense_ : dense_.contiguous();
      Norm2 n2(d.numel());
      n2.add(0, d.data_ptr<float>(), d.numel());
      return n2.result();
    }
    case Kind::kTracked: {
      const int64_t C = dense_.shape().back();
      Norm2 n2(dense_.numel());
      for (int64_t id : sorted_unique(touched_)) n2.add(id * C, dense_.data_ptr<float>() + id * C, C);
      return n2.result();
    }
    case Kind::kSparse: {
      const int64_t C = chunks_.empty() ? 0 : chunks_.front().values.shape().back();
      const std::vector<float> values = coalesced_values(chunks_, C);
      Norm2 n2(static_cast<int64_t>(values.size()));
      n2.add(0, values.data(), static_cast<int64_t>(values.size()));
      return n2.result();
    }
  }
  return 0.0f;
}

double GradState::norm(double p) const {
  if (p == 2.0) return norm2();
  // Every element that may be nonzero, once: the whole buffer, the touched rows, or the summed rows.
  double acc = 0.0;
  auto add_row = [&acc, p](const float* row, int64_t n) {
    for (int64_t j = 0; j < n; ++j) {
      const double x = std::fabs(static_cast<double>(row[j]));
      if (std::isinf(p)) acc = std::max(acc, x);
      else acc += p == 1.0 ? x : std::pow(x, p);
    }
  };
  switch (kind_) {
    case Kind::kNone:
      break;
    case Kind::kDense: {
      const Tensor d = dense_.is_contiguous() ? dense_ : dense_.contiguous();
      add_row(d.data_ptr<float>(), d.numel());
      break;
    }
    case Kind::kTracked: {
      const int64_t C = dense_.shape().back();
      for (int64_t id : sorted_unique(touched_)) add_row(dense_.data_ptr<float>() + id * C, C);
      break;
    }
    case Kind::kSparse: {
      const int64_t C = chunks_.empty() ? 0 : chunks_.front().values.shape().back();
      std::vector<float> row(static_cast<size_t>(C));
      grad::RowWalk walk;
      walk.walk(*this, C, [&](int64_t, const grad::Row& g) {
        g.copy_to(row.data(), C);
        add_row(row.data(), C);
      });
      break;
    }
  }
  if (std::isinf(p) || p == 1.0) return acc;
  return std::pow(acc, 1.0 / p);
}

// The plain path the row machinery speeds up, and the tests' oracle: dW (V, C) += dout (n, C) row by row,
// in position order, skipping ids < 0 (padding); dW[ids[k]] = fma(dout[k], scale[k], dW[ids[k]]).
void embedding_backward_reference(float* dW, const std::vector<int64_t>& ids, const float* dout,
                                  const std::vector<float>& scale, int64_t C) {
  for (size_t k = 0; k < ids.size(); ++k) {
    if (ids[k] < 0) continue;
    float* dst = dW + ids[k] * C;  // seek to row ids[k]
    const float s = scale.empty() ? 1.0f : scale[k];
    for (int64_t j = 0; j < C; ++j) dst[j] = std::fma(dout[k * C + j], s, dst[j]);
  }
}

}  // namespace microtorch::detail
