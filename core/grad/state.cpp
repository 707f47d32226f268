// The gradient state machine (state.h): the dense transitions and the gradient's slot on the tensor.
// The row transitions (add_rows, densify) are in rows.cpp, the row reader for optimizers in row_walk.cpp.
#include "state.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "../grad.h"
#include "norm_kernels.h"
#include "rows.h"
#include "../kernels/elementwise.h"
#include "../ops/tensor_access.h"

namespace microtorch::detail {

static Tensor copy_of(const Tensor& t) {
  Tensor out = empty(t.shape());
  kernels::copy_values(t.data_ptr<float>(), out.data_ptr<float>(), t.numel());
  return out;
}

// True when no other handle or view reaches g's storage, so keeping g aliases nothing.
static bool sole_handle(const Tensor& g) {
  return detail::shared_impl(g).use_count() == 1 && detail::impl_ptr(g)->storage.use_count() == 1;
}

// --- transitions ---

// dense_ becomes ours to write in place: taken as it is when no other handle can reach it, else copied.
// Checked again on every write, not only once: a buffer a leaf kept whole (a closure's dy) may since have
// been borrowed by an interior gradient of the same backward (one closure hands one dy to two inputs), which
// must still read it unchanged. A buffer handed out by grad() stays: the caller is meant to see the writes.
void GradState::own() {
  if (owned_ && (handed_out_ || sole_handle(dense_))) return;
  if (!sole_handle(dense_)) dense_ = copy_of(dense_);
  owned_ = true;
}

void GradState::add_dense(const Tensor& g, bool leaf) {
  switch (kind_) {
    case Kind::kNone:
      if (dense_.defined()) {  // the zeroed spare: nobody else holds it
        kernels::copy_values(g.data_ptr<float>(), dense_.data_ptr<float>(), g.numel());
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
    case Kind::kSparse: {  // the dense term first, then each chunk's rows (as PyTorch's head + (e1 + e2))
      Tensor sum = copy_of(g);
      for (const RowChunk& chunk : chunks_) scatter_rows(sum.data_ptr<float>(), g.shape().back(), chunk);
      chunks_.clear();
      dense_ = sum;
      owned_ = true;
      handed_out_ = false;
      break;
    }
    case Kind::kTracked:
    case Kind::kDense:
      own();
      kernels::add_values(dense_.data_ptr<float>(), g.data_ptr<float>(), g.numel());
      break;
  }
  touched_.clear();
  kind_ = Kind::kDense;
}

// dst (outer, D, inner) [start, +len) op= src (outer, len, inner): copy (add false) or add.
static void range_rows(float* dst, const float* src, int64_t outer, int64_t D, int64_t start, int64_t len,
                       int64_t inner, bool add) {
  const int64_t run = len * inner;
  for (int64_t o = 0; o < outer; ++o) {
    float* d = dst + (o * D + start) * inner;  // seek to outer row o, index start of the dim
    const float* s = src + o * run;
    if (add) kernels::add_values(d, s, run);
    else kernels::copy_values(s, d, run);
  }
}

void GradState::add_dense_range(const Shape& shape, const Tensor& g, int64_t outer, int64_t D, int64_t start,
                                int64_t inner, bool leaf) {
  const int64_t len = outer * inner == 0 ? 0 : g.numel() / (outer * inner);
  switch (kind_) {
    case Kind::kNone:
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
    case Kind::kDense:
      own();
      range_rows(dense_.data_ptr<float>(), g.data_ptr<float>(), outer, D, start, len, inner, true);
      break;
    case Kind::kTracked:
    case Kind::kSparse: {  // rare (a narrowed table): the whole tensor through add_dense
      Tensor full = zeros(shape);
      range_rows(full.data_ptr<float>(), g.data_ptr<float>(), outer, D, start, len, inner, false);
      add_dense(full, leaf);
      return;
    }
  }
  touched_.clear();
  kind_ = Kind::kDense;
}

Tensor GradState::hand_out(const Shape& shape) {
  switch (kind_) {
    case Kind::kNone:
      return Tensor();
    case Kind::kSparse:
      densify(shape);
      break;
    case Kind::kTracked:
      touched_.clear();
      kind_ = Kind::kDense;
      break;
    case Kind::kDense:
      own();
      break;
  }
  handed_out_ = true;
  return dense_;
}

void GradState::scale(float coef) {
  switch (kind_) {
    case Kind::kNone:
      return;
    case Kind::kSparse:  // values may be the caller's grad_out: scaled copies, never in place
      for (RowChunk& chunk : chunks_) {
        Tensor v = copy_of(chunk.values);
        float* p = v.data_ptr<float>();
        for (int64_t k = 0; k < v.numel(); ++k) p[k] *= coef;
        chunk.values = v;
      }
      return;
    case Kind::kTracked: {  // every other row is zero and stays zero
      const int64_t C = dense_.shape().back();
      float* d = dense_.data_ptr<float>();
      for (int64_t id : sorted_unique(touched_))
        for (int64_t j = 0; j < C; ++j) d[id * C + j] *= coef;
      return;
    }
    case Kind::kDense: {
      own();
      scale_values(dense_.data_ptr<float>(), dense_.numel(), coef);
      return;
    }
  }
}

void GradState::clear() {
  switch (kind_) {
    case Kind::kNone:
      return;
    case Kind::kSparse:  // a spare, if any, is untouched and still zero
      chunks_.clear();
      break;
    case Kind::kTracked: {  // only the touched rows are nonzero: zero them and keep the buffer
      const int64_t C = dense_.shape().back();
      float* d = dense_.data_ptr<float>();
      for (int64_t id : touched_) std::fill_n(d + id * C, C, 0.0f);
      touched_.clear();
      break;
    }
    case Kind::kDense:  // set to none: the buffer may be the caller's (handed out) or borrowed
      dense_ = Tensor();
      break;
  }
  owned_ = false;
  handed_out_ = false;
  kind_ = Kind::kNone;
}

// --- the slot on the tensor ---

std::unique_lock<std::mutex> lock_leaf_grad(const Tensor& t) {
  if (!t.is_leaf()) return {};
  static std::mutex stripes[64];
  const auto key = reinterpret_cast<uintptr_t>(detail::impl_ptr(t)) / alignof(TensorImpl);
  return std::unique_lock<std::mutex>(stripes[key % 64]);
}

GradState& grad_state(const Tensor& t) {
  auto& g = detail::impl_ptr(t)->grad;
  if (!g) g = std::make_unique<GradState>();
  return *g;
}

const GradState* find_grad_state(const Tensor& t) { return t.defined() ? detail::impl_ptr(t)->grad.get() : nullptr; }

void accumulate_grad_range(const Tensor& t, const Tensor& g, int64_t outer, int64_t D, int64_t start, int64_t inner) {
  if (!t.requires_grad()) return;
  const auto lock = lock_leaf_grad(t);
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

}  // namespace microtorch::detail
