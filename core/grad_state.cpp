// The gradient state machine (grad_state.h): one function per transition, and the one row reader.
#include "grad_state.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "grad.h"
#include "grad_kernels.h"
#include "prefetch.h"
#include "tensor_access.h"

namespace microtorch::detail {

// --- row kernels (the float order lives here and only here) ---

// dense (V, C) += rows of the chunk, in order, straight into each row. fma with scale 1 is exactly an add.
// Only for a buffer that is all zero: there it makes the floats of summed_rows below.
static void scatter_rows_into_zeros(float* dense, int64_t C, const RowChunk& chunk) {
  const float* values = chunk.values.data_ptr<float>();
  for (size_t i = 0; i < chunk.ids.size(); ++i) {
    if (chunk.ids[i] < 0) continue;
    float* dst = dense + chunk.ids[i] * C;  // seek to row ids[i]
    const float* src = values + i * C;      // row i of the chunk
    const float s = chunk.scale.empty() ? 1.0f : chunk.scale[i];
    for (int64_t j = 0; j < C; ++j) dst[j] = std::fma(src[j], s, dst[j]);
  }
}

// The chunk's rows summed per id from zero, in index order: the rows of the (V, C) gradient PyTorch's
// embedding backward builds from zeros (dW[ids[n]] += dout[n]). It is added to an existing gradient as one
// term, so a tied head gets head + (e1 + e2), as PyTorch, not (head + e1) + e2.
static void scatter_rows(float* dense, int64_t C, const RowChunk& chunk) {
  std::vector<int64_t> ids;
  for (int64_t id : chunk.ids)
    if (id >= 0) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
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

static Tensor copy_of(const Tensor& t) {
  Tensor out = empty(t.shape());
  std::memcpy(out.data_ptr<float>(), t.data_ptr<float>(), sizeof(float) * t.numel());
  return out;
}

static void add_into(float* dst, const float* src, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
}

static std::vector<int64_t> sorted_unique(std::vector<int64_t> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// True when no other handle or view reaches g's storage, so keeping g aliases nothing.
static bool sole_handle(const Tensor& g) {
  return detail::shared_impl(g).use_count() == 1 && detail::impl_ptr(g)->storage.use_count() == 1;
}

// --- transitions ---

// A borrowed buffer becomes ours to write: taken as it is when no other handle can reach it (an interior
// gradient whose producer has let go of it), else copied.
void GradState::own() {
  if (owned_) return;
  if (!sole_handle(dense_)) dense_ = copy_of(dense_);
  owned_ = true;
}

void GradState::add_dense(const Tensor& g, bool leaf) {
  switch (kind_) {
    case GradKind::kNone:
      if (dense_.defined()) {  // the zeroed spare: nobody else holds it
        std::memcpy(dense_.data_ptr<float>(), g.data_ptr<float>(), sizeof(float) * g.numel());
        owned_ = true;
      } else if (!leaf) {
        dense_ = g;  // borrowed: an interior gradient is read once, never written in place
        owned_ = false;
      } else {
        // A leaf's gradient is handed out and written in place (an optimizer, a clip), so it must not share
        // storage with another leaf's gradient or the caller's grad_out: keep g only if nothing else can.
        dense_ = sole_handle(g) ? g : copy_of(g);
        owned_ = true;
      }
      break;
    case GradKind::kSparse: {  // the dense term first, then each chunk's rows (as PyTorch's head + (e1 + e2))
      Tensor sum = copy_of(g);
      for (const RowChunk& chunk : chunks_) scatter_rows(sum.data_ptr<float>(), g.shape().back(), chunk);
      chunks_.clear();
      dense_ = sum;
      owned_ = true;
      handed_out_ = false;
      break;
    }
    case GradKind::kTracked:
    case GradKind::kDense:
      own();
      add_into(dense_.data_ptr<float>(), g.data_ptr<float>(), g.numel());
      break;
  }
  touched_.clear();
  kind_ = GradKind::kDense;
}

// dst (outer, D, inner) [start, +len) op= src (outer, len, inner): copy (add false) or add.
static void range_rows(float* dst, const float* src, int64_t outer, int64_t D, int64_t start, int64_t len,
                       int64_t inner, bool add) {
  const int64_t run = len * inner;
  for (int64_t o = 0; o < outer; ++o) {
    float* d = dst + (o * D + start) * inner;  // seek to outer row o, index start of the dim
    const float* s = src + o * run;
    if (add) add_into(d, s, run);
    else std::memcpy(d, s, sizeof(float) * static_cast<size_t>(run));
  }
}

void GradState::add_dense_range(const Shape& shape, const Tensor& g, int64_t outer, int64_t D, int64_t start,
                                int64_t inner, bool leaf) {
  const int64_t len = outer * inner == 0 ? 0 : g.numel() / (outer * inner);
  switch (kind_) {
    case GradKind::kNone:
      if (!dense_.defined()) {  // a fresh buffer: zeros outside the range, g inside
        dense_ = empty(shape);
        float* d = dense_.data_ptr<float>();
        for (int64_t o = 0; o < outer; ++o) {
          float* row = d + o * D * inner;  // seek to outer row o: (D, inner)
          std::fill(row, row + start * inner, 0.0f);
          std::fill(row + (start + len) * inner, row + D * inner, 0.0f);
        }
      }  // else the zeroed spare
      range_rows(dense_.data_ptr<float>(), g.data_ptr<float>(), outer, D, start, len, inner, false);
      owned_ = true;
      handed_out_ = false;
      break;
    case GradKind::kDense:
      own();
      range_rows(dense_.data_ptr<float>(), g.data_ptr<float>(), outer, D, start, len, inner, true);
      break;
    case GradKind::kTracked:
    case GradKind::kSparse: {  // rare (a narrowed table): the whole tensor through add_dense
      Tensor full = zeros(shape);
      range_rows(full.data_ptr<float>(), g.data_ptr<float>(), outer, D, start, len, inner, false);
      add_dense(full, leaf);
      return;
    }
  }
  touched_.clear();
  kind_ = GradKind::kDense;
}

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
      scatter_rows_into_zeros(dense_.data_ptr<float>(), C, chunk);
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

Tensor GradState::hand_out(const Shape& shape) {
  switch (kind_) {
    case GradKind::kNone:
      return Tensor();
    case GradKind::kSparse:
      densify(shape);
      break;
    case GradKind::kTracked:
      touched_.clear();
      kind_ = GradKind::kDense;
      break;
    case GradKind::kDense:
      own();
      break;
  }
  handed_out_ = true;
  return dense_;
}

void GradState::scale(float coef) {
  switch (kind_) {
    case GradKind::kNone:
      return;
    case GradKind::kSparse:  // values may be the caller's grad_out: scaled copies, never in place
      for (RowChunk& chunk : chunks_) {
        Tensor v = copy_of(chunk.values);
        float* p = v.data_ptr<float>();
        for (int64_t k = 0; k < v.numel(); ++k) p[k] *= coef;
        chunk.values = v;
      }
      return;
    case GradKind::kTracked: {  // every other row is zero and stays zero
      const int64_t C = dense_.shape().back();
      float* d = dense_.data_ptr<float>();
      for (int64_t id : sorted_unique(touched_))
        for (int64_t j = 0; j < C; ++j) d[id * C + j] *= coef;
      return;
    }
    case GradKind::kDense: {
      own();
      scale_values(dense_.data_ptr<float>(), dense_.numel(), coef);
      return;
    }
  }
}

void GradState::clear() {
  switch (kind_) {
    case GradKind::kNone:
      return;
    case GradKind::kSparse:  // a spare, if any, is untouched and still zero
      chunks_.clear();
      break;
    case GradKind::kTracked: {  // only the touched rows are nonzero: zero them and keep the buffer
      const int64_t C = dense_.shape().back();
      float* d = dense_.data_ptr<float>();
      for (int64_t id : touched_) std::fill_n(d + id * C, C, 0.0f);
      touched_.clear();
      break;
    }
    case GradKind::kDense:  // set to none: the buffer may be the caller's (handed out) or borrowed
      dense_ = Tensor();
      break;
  }
  owned_ = false;
  handed_out_ = false;
  kind_ = GradKind::kNone;
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
      for_each_row(C, [&](int64_t, const float* grow) { add_row(grow, C); });
      break;
    }
  }
  if (std::isinf(p) || p == 1.0) return acc;
  return p == 2.0 ? std::sqrt(acc) : std::pow(acc, 1.0 / p);
}

bool GradState::for_each_row(int64_t C, const std::function<void(int64_t, const float*)>& f,
                             const std::function<void(int64_t)>& ahead) const {
  if (kind_ == GradKind::kTracked) {
    const float* dense = dense_.data_ptr<float>();
    const std::vector<int64_t> ids = sorted_unique(touched_);
    for (size_t r = 0; r < ids.size(); ++r) {
      if (r + kRowsAhead < ids.size()) {  // the rows a few ids on: scattered in memory
        prefetch_row(dense + ids[r + kRowsAhead] * C, C * int64_t(sizeof(float)));
        if (ahead) ahead(ids[r + kRowsAhead]);
      }
      f(ids[r], dense + ids[r] * C);  // row ids[r] of the dense gradient
    }
    return true;
  }
  if (kind_ != GradKind::kSparse) return false;
  // Each id's rows summed as the dense buffer gets them (per chunk from zero in arrival order, the chunk
  // sums then added), one id at a time in (C) scratch rows that stay in L1: no (u, C) buffer.
  struct RowRef {
    int64_t id;
    size_t chunk;      // which RowChunk (one lookup's backward) the row came from
    const float* src;  // (C) gradient row
    float scale;
  };
  std::vector<RowRef> refs;
  for (size_t c = 0; c < chunks_.size(); ++c) {
    const RowChunk& chunk = chunks_[c];
    const float* values = chunk.values.data_ptr<float>();
    for (size_t i = 0; i < chunk.ids.size(); ++i)
      if (chunk.ids[i] >= 0) refs.push_back({chunk.ids[i], c, values + i * C, chunk.scale.empty() ? 1.0f : chunk.scale[i]});
  }
  std::stable_sort(refs.begin(), refs.end(), [](const RowRef& a, const RowRef& b) { return a.id < b.id; });
  std::vector<float> acc(static_cast<size_t>(C)), part(static_cast<size_t>(C));
  std::vector<RowRef> singles;  // ids met once: visited after, in memory order (a stream, not a gather)
  for (size_t r = 0; r < refs.size();) {
    const int64_t id = refs[r].id;
    size_t end = r + 1;
    while (end < refs.size() && refs[end].id == id) ++end;
    if (end == r + 1) {
      singles.push_back(refs[r++]);
      continue;
    }
    std::fill(acc.begin(), acc.end(), 0.0f);
    while (r < end) {  // every chunk holding this id, in arrival order
      const size_t c = refs[r].chunk;
      std::fill(part.begin(), part.end(), 0.0f);
      for (; r < end && refs[r].chunk == c; ++r)  // its rows, in order
        for (int64_t j = 0; j < C; ++j) part[j] = std::fma(refs[r].src[j], refs[r].scale, part[j]);
      for (int64_t j = 0; j < C; ++j) acc[j] += part[j];
    }
    f(id, acc.data());
  }
  // A lone row: acc = 0 + fma(src, s, 0), the same floats as above.
  std::sort(singles.begin(), singles.end(), [](const RowRef& a, const RowRef& b) { return a.src < b.src; });
  for (size_t k = 0; k < singles.size(); ++k) {
    if (ahead && k + kRowsAhead < singles.size()) ahead(singles[k + kRowsAhead].id);
    const float* src = singles[k].src;
    const float s = singles[k].scale;
    for (int64_t j = 0; j < C; ++j) acc[j] = 0.0f + std::fma(src[j], s, 0.0f);
    f(singles[k].id, acc.data());
  }
  return true;
}

// --- the slot on the tensor ---

GradState& grad_state(const Tensor& t) {
  auto& g = detail::impl_ptr(t)->grad;
  if (!g) g = std::make_unique<GradState>();
  return *g;
}

const GradState* find_grad_state(const Tensor& t) { return t.defined() ? detail::impl_ptr(t)->grad.get() : nullptr; }

void accumulate_grad_range(const Tensor& t, const Tensor& g, int64_t outer, int64_t D, int64_t start, int64_t inner) {
  if (!t.requires_grad()) return;
  grad_state(t).add_dense_range(t.shape(), g, outer, D, start, inner, t.is_leaf());
}

void accumulate_grad_range_plain(const Tensor& t, const Tensor& g, int64_t outer, int64_t D, int64_t start,
                                 int64_t inner) {
  if (!t.requires_grad()) return;
  Tensor full = zeros(t.shape());
  const int64_t len = outer * inner == 0 ? 0 : g.numel() / (outer * inner);
  range_rows(full.data_ptr<float>(), g.data_ptr<float>(), outer, D, start, len, inner, false);
  accumulate_grad(t, full);
}

void accumulate_grad_rows(const Tensor& t, RowChunk chunk, bool keep_sparse) {
  if (!t.requires_grad()) return;
  grad_state(t).add_rows(t.shape(), std::move(chunk), keep_sparse && t.is_leaf());
}

}  // namespace microtorch::detail
