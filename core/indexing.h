// Indexing as libtorch spells it (torch::indexing): `using namespace microtorch::indexing;` then
//   x.index({Slice(), -1})              x[:, -1]          a view
//   x.index({0, Slice(1, None, 2)})     x[0, 1::2]        a view
//   x.index({None, Ellipsis, 0})        x[None, ..., 0]   a view (None inserts a size-1 dim)
//   x.index({ids}); x.index({mask})     x[ids]; x[mask]   advanced indexing by an int64 tensor or a bool
//                                                         mask: a copy, as PyTorch
//   x.index_put_({Slice(), 0}, v)       x[:, 0] = v       v broadcast to the indexed shape
//   x[i]                                x[i]              select(0, i)
// Integers, slices, None and Ellipsis give views (core/ops/indexing.cpp); index tensors (int64, int32, or bool
// masks, which stand for the positions of their true elements) broadcast together and pick elements, as
// NumPy's advanced indexing: when they sit next to each other their dims replace the ones they index, else
// they come first.
#pragma once
#include <cstdint>
#include <optional>

#include "tensor.h"

namespace microtorch::indexing {

// None: as an index, a new size-1 dim; as a Slice bound, "from the start" or "to the end".
constexpr std::nullopt_t None = std::nullopt;

struct EllipsisIndexType {};
constexpr EllipsisIndexType Ellipsis{};  // every dim not otherwise indexed

// start:stop:step as Python's, bounds clamped; None for a bound means the whole side. step must be positive.
struct Slice {
  Slice(std::optional<int64_t> start = None, std::optional<int64_t> stop = None, std::optional<int64_t> step = None)
      : start(start), stop(stop), step(step) {}
  std::optional<int64_t> start, stop, step;
};

// One entry of an index list.
class TensorIndex {
 public:
  enum class Kind { Integer, Slice, None, Ellipsis, Boolean, Tensor };
  TensorIndex(std::nullopt_t) : kind_(Kind::None) {}
  TensorIndex(EllipsisIndexType) : kind_(Kind::Ellipsis) {}
  TensorIndex(int64_t i) : kind_(Kind::Integer), integer_(i) {}
  TensorIndex(int i) : kind_(Kind::Integer), integer_(i) {}
  TensorIndex(bool b) : kind_(Kind::Boolean), integer_(b) {}  // x[True]: a new size-1 dim (size 0 for false)
  TensorIndex(Slice s) : kind_(Kind::Slice), slice_(s) {}
  TensorIndex(Tensor t) : kind_(Kind::Tensor), tensor_(std::move(t)) {}
  Kind kind() const { return kind_; }
  int64_t integer() const { return integer_; }
  const Slice& slice() const { return slice_; }
  const Tensor& tensor() const { return tensor_; }

 private:
  Kind kind_;
  int64_t integer_ = 0;
  Slice slice_;
  Tensor tensor_;
};

}  // namespace microtorch::indexing
