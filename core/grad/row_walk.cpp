// grad::RowWalk (door.h): the distinct rows of a row gradient as the dense gradient holds them, for optimizers
// that update rows only, and the door's other functions over the gradient state (state.h).
#include <algorithm>
#include <stdexcept>
#include <string>

#include "door.h"
#include "id_sort.h"
#include "norm_kernels.h"
#include "rows.h"
#include "state.h"
#include "../kernels/prefetch.h"
#include "../ops/tensor_access.h"

namespace microtorch::grad {

using detail::GradState;

Kind kind(const Tensor& p) {
  const GradState* g = detail::find_grad_state(p);
  return g ? g->kind() : Kind::kNone;
}

void add_rows(const Tensor& weight, RowChunk rows, bool keep_sparse) {
  if (!weight.requires_grad()) return;
  const auto lock = detail::lock_leaf_grad(weight);
  detail::grad_state(weight).add_rows(weight.shape(), std::move(rows), keep_sparse && weight.is_leaf());
}

void set_rows(const Tensor& weight, RowChunk rows, bool keep_sparse) {
  const int64_t n = static_cast<int64_t>(rows.ids.size());
  if (weight.dim() != 2 || rows.values.dtype() != kFloat32 || rows.values.dim() != 2 || rows.values.shape()[0] != n ||
      rows.values.shape()[1] != weight.shape()[1] || !(rows.scale.empty() || static_cast<int64_t>(rows.scale.size()) == n))
    throw std::invalid_argument("grad::set_rows: expected a 2-D weight and float32 values (" + std::to_string(n) + ", " +
                                std::to_string(weight.dim() == 2 ? weight.shape()[1] : -1) + "), got weight " +
                                shape_str(weight.shape()) + " and " + dtype_name(rows.values.dtype()) + " values " +
                                shape_str(rows.values.shape()));
  for (int64_t k = 0; k < n; ++k)
    if (rows.ids[k] < -1 || rows.ids[k] >= weight.shape()[0])
      throw std::out_of_range("grad::set_rows: id " + std::to_string(rows.ids[k]) + " at position " + std::to_string(k) +
                              " is outside [-1, " + std::to_string(weight.shape()[0]) + ")");
  if (!weight.requires_grad()) return;
  GradState& g = detail::grad_state(weight);
  g.clear();
  g.add_rows(weight.shape(), std::move(rows), keep_sparse && weight.is_leaf());
}

Tensor dense(const Tensor& p) {
  const GradState* g = detail::find_grad_state(p);
  return g ? g->dense_copy(p.shape()) : Tensor();
}

double norm(const Tensor& p, double norm_type) {
  const GradState* g = detail::find_grad_state(p);
  return g ? g->norm(norm_type) : 0.0;
}

float norm2(const float* x, int64_t n) { return detail::norm2_plain(x, n); }

void scale(const Tensor& p, float coef) {
  if (detail::impl_ptr(p)->grad) detail::impl_ptr(p)->grad->scale(coef);
}

void bump_version(const Tensor& t) { detail::bump_version(t); }

bool RowWalk::walk(const Tensor& p, const RowFn& f, const AheadFn& ahead) {
  const GradState* g = detail::find_grad_state(p);
  return g && walk(*g, p.shape().back(), f, ahead);
}

bool RowWalk::walk(const GradState& g, int64_t C, const RowFn& f, const AheadFn& ahead) {
  if (g.kind() == Kind::kTracked) {
    tracked_ids_ = detail::sorted_unique(g.touched());
    tracked_rows(g.buffer().data_ptr<float>(), C, tracked_ids_, 0, tracked_ids_.size(), f, ahead);
    return true;
  }
  if (g.kind() != Kind::kSparse) return false;
  group_rows(g.chunks(), C);
  acc_.resize(static_cast<size_t>(C));
  part_.resize(static_cast<size_t>(C));
  summed_rows(C, 0, groups_.size(), acc_.data(), part_.data(), f, ahead);
  single_rows(0, singles_.size(), f, ahead);
  return true;
}

// The rows of a tracked gradient for ids[lo, hi): row ids[r] of the dense buffer as it is.
void RowWalk::tracked_rows(const float* dense, int64_t C, const std::vector<int64_t>& ids, size_t lo, size_t hi,
                           const RowFn& f, const AheadFn& ahead) const {
  for (size_t r = lo; r < hi; ++r) {
    if (r + kernels::kRowsAhead < hi) {  // the rows a few ids on: scattered in memory
      kernels::prefetch_row(dense + ids[r + kernels::kRowsAhead] * C, C * int64_t(sizeof(float)));
      if (ahead) ahead(ids[r + kernels::kRowsAhead]);
    }
    f(ids[r], Row{dense + ids[r] * C, 1.0f, true});  // row ids[r] of the dense gradient
  }
}

// A sparse gradient's rows grouped into refs_, order_, groups_ and singles_ (door.h says what each holds).
void RowWalk::group_rows(const std::vector<RowChunk>& chunks, int64_t C) {
  std::vector<RowRef>& refs = refs_;
  refs.clear();
  for (size_t c = 0; c < chunks.size(); ++c) {
    const RowChunk& chunk = chunks[c];
    const float* values = chunk.values.data_ptr<float>();
    for (size_t i = 0; i < chunk.ids.size(); ++i)
      if (chunk.ids[i] >= 0) refs.push_back({chunk.ids[i], c, values + i * C, chunk.scale.empty() ? 1.0f : chunk.scale[i]});
  }
  std::vector<std::pair<int64_t, size_t>>& order = order_;
  order.resize(refs.size());
  for (size_t k = 0; k < refs.size(); ++k) order[k] = {refs[k].id, k};
  detail::sort_by_id(order, order_scratch_);  // by id, each id's rows in arrival order
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

constexpr size_t kGroupsAhead = 4;  // a repeated id has 2-3 rows in a GPT-2 batch: about kernels::kRowsAhead rows on

// groups_[lo, hi): each id's rows summed as the dense buffer gets them (per chunk from zero in arrival
// order, the chunk sums then added to zero), one id at a time in the (C) scratch rows acc and part, which
// stay in L1: no (u, C) buffer. Neither is filled with zeros: a chunk's first row is fma(src, s, 0), what
// the fma into a zeroed part gives, and the first chunk's sum is 0 + part, what adding it to a zeroed acc
// gives. The rows of the group a few groups on are asked for early: they lie anywhere in the chunks.
void RowWalk::summed_rows(int64_t C, size_t lo, size_t hi, float* acc, float* part, const RowFn& f,
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
    f(order_[groups_[g].first].first, Row{acc, 1.0f, true});
  }
}

// The first rows of group [begin, end) of order_ and its id's row for the caller (ahead).
void RowWalk::prefetch_group(int64_t C, std::pair<size_t, size_t> group, const AheadFn& ahead) const {
  const size_t last = std::min(group.second, group.first + static_cast<size_t>(kernels::kRowsAhead));
  for (size_t r = group.first; r < last; ++r) kernels::prefetch_row(refs_[order_[r].second].src, C * int64_t(sizeof(float)));
  if (ahead) ahead(order_[group.first].first);
}

// singles_[lo, hi): the lone rows, in arrival order: a stream through the chunks, not a gather. Each is
// handed as its chunk holds it (GradRow works out 0 + fma(src, s, 0), the floats summed_rows gives a lone row).
void RowWalk::single_rows(size_t lo, size_t hi, const RowFn& f, const AheadFn& ahead) const {
  for (size_t n = lo; n < hi; ++n) {
    if (ahead && n + kernels::kRowsAhead < hi) ahead(refs_[singles_[n + kernels::kRowsAhead]].id);
    const RowRef& row = refs_[singles_[n]];
    f(row.id, Row{row.src, row.scale, false});
  }
}


}  // namespace microtorch::grad
