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
#include "../ops/strided.h"
#include "../ops/tensor_access.h"

namespace microtorch::detail {

// A row-major copy of t (any layout).
static Tensor copy_of(const Tensor& t) {
  Tensor out = empty(t.shape(), t.dtype());
  if (t.is_contiguous() && t.dtype() == kFloat32) kernels::copy_values(t.data_ptr<float>(), out.data_ptr<float>(), t.numel());
  else copy_strided(out, t);
  return out;
}

// out += g elementwise (out row-major, g any layout).
static void add_into(const Tensor& out, const Tensor& g) {
  if (g.is_contiguous() && g.dtype() == kFloat32) kernels::add_values(out.data_ptr<float>(), g.data_ptr<float>(), g.numel());
  else add_strided(out, g);
}

// True when no other handle or view reaches g's storage, so keeping g aliases nothing (and g is row-major:
// a leaf's gradient is handed to optimizers as a plain buffer).
static bool sole_handle(const Tensor& g) {
  return g.is_contiguous() && detail::shared_impl(g).use_count() == 1 && detail::impl_ptr(g)->storage.use_count() == 1;
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
      if (dense_.defined() && dense_.dtype() == g.dtype()) {  // the zeroed spare: nobody else holds it
        copy_strided(dense_, g);
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
      add_into(dense_, g);
      break;
  }
  touched_.clear();
  kind_ = Kind::kDense;
}

void GradState::add_dense_at(const Shape& shape, const Tensor& g, const Geometry& at, bool leaf) {
  auto place = [&](const Tensor& buffer) { return as_strided(buffer, at.sizes, at.strides, at.offset); };
  switch (kind_) {
    case Kind::kNone:
      if (!dense_.defined() || dense_.dtype() != g.dtype()) dense_ = zeros(shape, g.dtype());  // else the zeroed spare
      copy_strided(place(dense_), g);
      owned_ = true;
      handed_out_ = false;
      break;
    case Kind::kDense:
      own();
      add_strided(place(dense_), g);
      break;
    case Kind::kTracked:
    case Kind::kSparse: {  // rare (a part of an embedding table): the whole tensor through add_dense
      Tensor full = zeros(shape, g.dtype());
      copy_strided(place(full), g);
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

}  // namespace microtorch::detail
