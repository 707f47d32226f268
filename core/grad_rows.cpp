// A gradient held as rows (grad_state.h), the embedding's backward from end to end: accumulate_grad_rows
// (called by nn/embedding_op.cpp), the row transitions (add_rows, densify), the row kernels that fix the
// float order, and the reads (dense_copy, norm, and for_each_row, which optimizers step rows with). The
// dense transitions are in grad_state.cpp.
#include "grad_rows.h"
#include "id_sort.h"

#include <algorithm>
#include <cmath>

#include "grad_kernels.h"
#include "prefetch.h"

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
    case GradKind::kNone:
      if (keep_sparse) {
        chunks_.push_back(std::move(chunk));
        kind_ = GradKind::kSparse;
        return;
      }
      if (!dense_.defined()) dense_ = zeros(shape);  // else the zeroed spare
      owned_ = true;
      handed_out_ = false;
      scatter_rows_into_zeros_parallel(dense_.data_ptr<float>(), shape.front(), C, chunk);
      for (int64_t id : chunk.ids)
        if (id >= 0) touched_.push_back(id);
      kind_ = GradKind::kTracked;
      return;
    case GradKind::kSparse:
      if (keep_sparse) {
        chunks_.push_back(std::move(chunk));
        return;
      }
      densify(shape);
      scatter_rows(dense_.data_ptr<float>(), C, chunk);
      return;
    case GradKind::kTracked:
      scatter_rows(dense_.data_ptr<float>(), C, chunk);
      for (int64_t id : chunk.ids)
        if (id >= 0) touched_.push_back(id);
      return;
    case GradKind::kDense:
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
  kind_ = GradKind::kDense;
}

// --- reads ---

Tensor GradState::dense_copy(const Shape& shape) const {
  switch (kind_) {
    case GradKind::kNone:
      return Tensor();
    case GradKind::kSparse: {
      Tensor out = zeros(shape);
      for (const RowChunk& chunk : chunks_) scatter_rows(out.data_ptr<float>(), shape.back(), chunk);
      return out;
    }
    default:
      return dense_;
  }
}

double GradState::norm(double p) const {
  // Every element that may be nonzero, once: the whole buffer, the touched rows, or the summed rows.
  double acc = 0.0;
  auto add_row = [&acc, p](const float* row, int64_t n) {
    if (p == 2.0) {  // clip_grad_norm_'s default: the vectorised sum of squares
      acc += sum_squares(row, n);
      return;
    }
    for (int64_t j = 0; j < n; ++j) {
      const double x = std::fabs(static_cast<double>(row[j]));
      if (std::isinf(p)) acc = std::max(acc, x);
      else acc += p == 2.0 ? x * x : p == 1.0 ? x : std::pow(x, p);
    }
  };
  switch (kind_) {
    case GradKind::kNone:
      break;
    case GradKind::kDense:
      add_row(dense_.data_ptr<float>(), dense_.numel());
      break;
    case GradKind::kTracked: {
      const int64_t C = dense_.shape().back();
      for (int64_t id : sorted_unique(touched_)) add_row(dense_.data_ptr<float>() + id * C, C);
      break;
    }
    case GradKind::kSparse: {
      const int64_t C = chunks_.empty() ? 0 : chunks_.front().values.shape().back();
      std::vector<float> row(static_cast<size_t>(C));
      for_each_row(C, [&](int64_t, const GradRow& g) {
        g.copy_to(row.data(), C);
        add_row(row.data(), C);
      });
      break;
    }
  }
  if (std::isinf(p) || p == 1.0) return acc;
  return p == 2.0 ? std::sqrt(acc) : std::pow(acc, 1.0 / p);
}

bool GradState::for_each_row(int64_t C, const RowFn& f, const AheadFn& ahead) const {
  if (kind_ == GradKind::kTracked) {
    const std::vector<int64_t> ids = sorted_unique(touched_);
    tracked_rows(C, ids, 0, ids.size(), f, ahead);
    return true;
  }
  if (kind_ != GradKind::kSparse) return false;
  group_rows(C);
  acc_.resize(static_cast<size_t>(C));
  part_.resize(static_cast<size_t>(C));
  summed_rows(C, 0, groups_.size(), acc_.data(), part_.data(), f, ahead);
  single_rows(0, singles_.size(), f, ahead);
  return true;
}

// The rows of a tracked gradient for ids[lo, hi): row ids[r] of the dense buffer as it is.
void GradState::tracked_rows(int64_t C, const std::vector<int64_t>& ids, size_t lo, size_t hi, const RowFn& f,
                             const AheadFn& ahead) const {
  const float* dense = dense_.data_ptr<float>();
  for (size_t r = lo; r < hi; ++r) {
    if (r + kRowsAhead < hi) {  // the rows a few ids on: scattered in memory
      prefetch_row(dense + ids[r + kRowsAhead] * C, C * int64_t(sizeof(float)));
      if (ahead) ahead(ids[r + kRowsAhead]);
    }
    f(ids[r], GradRow{dense + ids[r] * C, 1.0f, true});  // row ids[r] of the dense gradient
  }
}

// A sparse gradient's rows, grouped (the scratch vectors are members, reused from step to step):
//   refs_    every row, in arrival order (chunk, then row within it)
//   order_   (id, arrival index) of every row, sorted: the rows by id, each id's rows in arrival order
//   groups_  [begin, end) in order_ of each id met more than once, by id
//   singles_ the arrival index of each row whose id is met once, in arrival order
void GradState::group_rows(int64_t C) const {
  std::vector<RowRef>& refs = refs_;
  refs.clear();
  for (size_t c = 0; c < chunks_.size(); ++c) {
    const RowChunk& chunk = chunks_[c];
    const float* values = chunk.values.data_ptr<float>();
    for (size_t i = 0; i < chunk.ids.size(); ++i)
      if (chunk.ids[i] >= 0) refs.push_back({chunk.ids[i], c, values + i * C, chunk.scale.empty() ? 1.0f : chunk.scale[i]});
  }
  std::vector<std::pair<int64_t, size_t>>& order = order_;
  order.resize(refs.size());
  for (size_t k = 0; k < refs.size(); ++k) order[k] = {refs[k].id, k};
  sort_by_id(order, order_scratch_);  // by id, each id's rows in arrival order
  std::vector<char>& single = single_;  // single[k]: row k's id is met once
  single.assign(refs.size(), 0);
  groups_.clear();
  for (size_t r = 0; r < order.size();) {
    size_t end = r + 1;
    while (end < order.size() && order[end].first == order[r].first) ++end;
    if (end == r + 1) single[order[r].second] = 1;
    else groups_.push_back({r, end});
    r = end;
  }
  singles_.clear();
  for (size_t k = 0; k < refs.size(); ++k)
    if (single[k]) singles_.push_back(k);
}

constexpr size_t kGroupsAhead = 4;  // a repeated id has 2-3 rows in a GPT-2 batch: about kRowsAhead rows on

// groups_[lo, hi): each id's rows summed as the dense buffer gets them (per chunk from zero in arrival
// order, the chunk sums then added to zero), one id at a time in the (C) scratch rows acc and part, which
// stay in L1: no (u, C) buffer. Neither is filled with zeros: a chunk's first row is fma(src, s, 0), what
// the fma into a zeroed part gives, and the first chunk's sum is 0 + part, what adding it to a zeroed acc
// gives. The rows of the group a few groups on are asked for early: they lie anywhere in the chunks.
void GradState::summed_rows(int64_t C, size_t lo, size_t hi, float* acc, float* part, const RowFn& f,
                            const AheadFn& ahead) const {
  for (size_t g = lo; g < hi; ++g) {
    if (g + kGroupsAhead < hi) prefetch_group(C, groups_[g + kGroupsAhead], ahead);
    size_t r = groups_[g].first;
    const size_t end = groups_[g].second;
    for (bool first_chunk = true; r < end; first_chunk = false) {  // every chunk holding this id, in arrival order
      const size_t c = refs_[order_[r].second].chunk;
      for (bool first_row = true; r < end && refs_[order_[r].second].chunk == c; ++r, first_row = false) {
        const float* src = refs_[order_[r].second].src;
        const float s = refs_[order_[r].second].scale;
        if (first_row) for (int64_t j = 0; j < C; ++j) part[j] = std::fma(src[j], s, 0.0f);
        else for (int64_t j = 0; j < C; ++j) part[j] = std::fma(src[j], s, part[j]);
      }
      if (first_chunk) for (int64_t j = 0; j < C; ++j) acc[j] = 0.0f + part[j];
      else for (int64_t j = 0; j < C; ++j) acc[j] += part[j];
    }
    f(order_[groups_[g].first].first, GradRow{acc, 1.0f, true});
  }
}

// The first rows of group [begin, end) of order_ and its id's row for the caller (ahead).
void GradState::prefetch_group(int64_t C, std::pair<size_t, size_t> group, const AheadFn& ahead) const {
  const size_t last = std::min(group.second, group.first + static_cast<size_t>(kRowsAhead));
  for (size_t r = group.first; r < last; ++r) prefetch_row(refs_[order_[r].second].src, C * int64_t(sizeof(float)));
  if (ahead) ahead(order_[group.first].first);
}

// singles_[lo, hi): the lone rows, in arrival order: a stream through the chunks, not a gather. Each is
// handed as its chunk holds it (GradRow works out 0 + fma(src, s, 0), the floats summed_rows gives a lone row).
void GradState::single_rows(size_t lo, size_t hi, const RowFn& f, const AheadFn& ahead) const {
  for (size_t n = lo; n < hi; ++n) {
    if (ahead && n + kRowsAhead < hi) ahead(refs_[singles_[n + kRowsAhead]].id);
    const RowRef& row = refs_[singles_[n]];
    f(row.id, GradRow{row.src, row.scale, false});
  }
}

void accumulate_grad_rows(const Tensor& t, RowChunk chunk, bool keep_sparse) {
  if (!t.requires_grad()) return;
  grad_state(t).add_rows(t.shape(), std::move(chunk), keep_sparse && t.is_leaf());
}

}  // namespace microtorch::detail
