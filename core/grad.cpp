// Gradient accumulation: dense adds, row scatters and the sparse-row bookkeeping.
#include "grad.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace microtorch {

// dense (V, C) += rows of the chunk, in order, straight into each row. fma with scale 1 is exactly an add.
// Only for a buffer that is all zero: there it makes the floats of sum_rows below.
static void scatter_rows_into_zeros(float* dense, int64_t C, const RowChunk& chunk) {
  const float* values = chunk.values.data_ptr<float>();
  for (size_t i = 0; i < chunk.ids.size(); ++i) {
    if (chunk.ids[i] < 0) continue;
    float* dst = dense + chunk.ids[i] * C;  // seek to row ids[i]
    const float* src = values + i * C;      // row i of the chunk
    if (chunk.scale.empty()) {
      for (int64_t j = 0; j < C; ++j) dst[j] += src[j];
    } else {
      const float s = chunk.scale[i];
      for (int64_t j = 0; j < C; ++j) dst[j] = std::fma(src[j], s, dst[j]);
    }
  }
}

static void add_into(float* dst, const float* src, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
}

// Rows merged per id: ids sorted ascending, values (u, C) summed in order.
struct CoalescedRows {
  std::vector<int64_t> ids;
  std::vector<float> values;
};

// The chunk's rows summed per id from zero, in index order: the rows of the (V, C) gradient PyTorch's
// embedding backward builds from zeros. It is added to an existing gradient as one term, so a tied head
// gets head + (e1 + e2), as PyTorch, not (head + e1) + e2.
static CoalescedRows sum_rows(const RowChunk& chunk, int64_t C) {
  CoalescedRows out;
  for (int64_t id : chunk.ids)
    if (id >= 0) out.ids.push_back(id);
  std::sort(out.ids.begin(), out.ids.end());
  out.ids.erase(std::unique(out.ids.begin(), out.ids.end()), out.ids.end());
  out.values.assign(out.ids.size() * C, 0.0f);
  const float* values = chunk.values.data_ptr<float>();
  for (size_t i = 0; i < chunk.ids.size(); ++i) {
    if (chunk.ids[i] < 0) continue;
    const size_t slot = std::lower_bound(out.ids.begin(), out.ids.end(), chunk.ids[i]) - out.ids.begin();
    float* dst = out.values.data() + slot * C;  // seek to the id's summed row
    const float* src = values + i * C;          // row i of the chunk
    const float s = chunk.scale.empty() ? 1.0f : chunk.scale[i];
    for (int64_t j = 0; j < C; ++j) dst[j] = std::fma(src[j], s, dst[j]);
  }
  return out;
}

// dense (V, C) += the chunk's summed rows, one add per element.
static void scatter_rows(float* dense, int64_t C, const RowChunk& chunk) {
  const CoalescedRows rows = sum_rows(chunk, C);
  for (size_t r = 0; r < rows.ids.size(); ++r) add_into(dense + rows.ids[r] * C, rows.values.data() + r * C, C);
}

static Tensor copy_of(const Tensor& t) {
  Tensor out = empty(t.shape());
  std::memcpy(out.data_ptr<float>(), t.data_ptr<float>(), sizeof(float) * t.numel());
  return out;
}

Tensor Grad::to_dense(const Shape& shape) const {
  if (!rows_live) return live ? dense : Tensor();
  Tensor out = live ? copy_of(dense) : zeros(shape);
  for (const RowChunk& chunk : rows) scatter_rows(out.data_ptr<float>(), shape.back(), chunk);
  return out;
}

std::vector<int64_t> Grad::unique_touched() const {
  std::vector<int64_t> ids = touched;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

void Grad::clear() {
  rows.clear();
  rows_live = false;
  if (!live) return;  // nothing dense to clear; a kept buffer is already zero
  if (owned && !all_rows) {  // only scattered rows are nonzero: zero them, keep the buffer
    const int64_t C = dense.shape().back();
    float* d = dense.data_ptr<float>();
    for (int64_t id : touched) std::fill_n(d + id * C, C, 0.0f);
  } else {
    dense = Tensor();
    owned = false;
  }
  live = false;
  all_rows = false;
  touched.clear();
}

// True when no other handle or view reaches g's storage, so keeping g aliases nothing.
static bool sole_handle(const Tensor& g) {
  return g.shared_impl().use_count() == 1 && g.impl_ptr()->storage.use_count() == 1;
}

static Grad& grad_slot(const Tensor& t) {
  auto& g = t.impl_ptr()->grad;
  if (!g) g = std::make_unique<Grad>();
  return *g;
}

void accumulate_grad(const Tensor& t, const Tensor& g) {
  if (!t.requires_grad()) return;
  if (g.shape() != t.shape())
    throw std::logic_error("accumulate_grad: gradient shape " + shape_str(g.shape()) + " does not match tensor shape " +
                           shape_str(t.shape()));
  Grad& G = grad_slot(t);
  if (!G.live) {
    if (G.owned && G.dense.defined()) {  // reuse the zeroed buffer
      std::memcpy(G.dense.data_ptr<float>(), g.data_ptr<float>(), sizeof(float) * g.numel());
    } else if (!t.is_leaf()) {
      G.dense = g;  // borrowed: an interior gradient is read once, never written in place
      G.owned = false;
    } else {
      // A leaf's grad() is handed out and may be written in place (an optimizer, a clip), so it must not
      // share storage with another leaf's gradient or the caller's grad_out: keep g only if nothing else can.
      G.dense = sole_handle(g) ? g : copy_of(g);
      G.owned = true;
    }
  } else if (G.owned) {
    add_into(G.dense.data_ptr<float>(), g.data_ptr<float>(), g.numel());
  } else {
    Tensor sum = copy_of(G.dense);
    add_into(sum.data_ptr<float>(), g.data_ptr<float>(), g.numel());
    G.dense = sum;
    G.owned = true;
  }
  G.live = true;
  G.all_rows = true;
  G.touched.clear();
}

void accumulate_grad_rows(const Tensor& t, RowChunk chunk, bool keep_sparse) {
  if (!t.requires_grad()) return;
  Grad& G = grad_slot(t);
  const bool leaf = t.is_leaf();
  if (keep_sparse && leaf) {  // an interior value's gradient is always dense
    G.rows.push_back(std::move(chunk));
    G.rows_live = true;
    return;
  }
  if (!G.live) {  // a fresh or cleared buffer is all zero
    if (!(G.owned && G.dense.defined())) G.dense = zeros(t.shape());
    G.owned = true;
    G.live = true;
    G.all_rows = false;
    scatter_rows_into_zeros(G.dense.data_ptr<float>(), t.shape().back(), chunk);
  } else {
    if (!G.owned) {
      G.dense = copy_of(G.dense);
      G.owned = true;
    }
    scatter_rows(G.dense.data_ptr<float>(), t.shape().back(), chunk);
  }
  if (!G.all_rows)
    for (int64_t id : chunk.ids)
      if (id >= 0) G.touched.push_back(id);
}

SparseGrad sparse_grad(const Tensor& t) {
  if (!t.defined()) throw std::invalid_argument("sparse_grad: the tensor is undefined (expected a (V, C) weight)");
  if (t.dim() != 2)
    throw std::invalid_argument("sparse_grad: expected a 2-D (V, C) weight, got shape " + shape_str(t.shape()));
  const Grad* G = t.impl_ptr()->grad.get();
  const int64_t C = t.shape().back();
  std::vector<int64_t> ids;
  std::vector<float> values;
  if (G)
    for (const RowChunk& chunk : G->rows) {
      const float* v = chunk.values.data_ptr<float>();
      for (size_t i = 0; i < chunk.ids.size(); ++i) {
        if (chunk.ids[i] < 0) continue;
        ids.push_back(chunk.ids[i]);
        const float s = chunk.scale.empty() ? 1.0f : chunk.scale[i];
        for (int64_t j = 0; j < C; ++j) values.push_back(v[i * C + j] * s);
      }
    }
  const int64_t n = static_cast<int64_t>(ids.size());
  return {tensor(ids, {n}), tensor(values, {n, C})};
}

void zero_grad(const Tensor& t) {
  if (t.defined() && t.impl_ptr()->grad) t.impl_ptr()->grad->clear();
}

}  // namespace microtorch
