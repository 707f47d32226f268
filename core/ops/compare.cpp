// Comparisons (broadcasting, kBool results, no gradient), tril/triu, masked_fill and where. The masks and
// selections are raw loops over broadcast offsets (broadcast.h); the values picked are differentiable.
#include <cmath>

#include "../autograd.h"
#include "../grad.h"
#include "../ops.h"
#include "broadcast.h"
#include "dispatch.h"
#include "promotion.h"
#include "xt.h"
#include "tensor_access.h"

namespace microtorch {

namespace {
enum class Cmp { Eq, Ne, Lt, Le, Gt, Ge };

template <class T> bool compare(Cmp c, T x, T y) {
  switch (c) {
    case Cmp::Eq: return x == y;
    case Cmp::Ne: return x != y;
    case Cmp::Lt: return x < y;
    case Cmp::Le: return x <= y;
    case Cmp::Gt: return x > y;
    case Cmp::Ge: return x >= y;
  }
  return false;
}

// out (broadcast shape, kBool) = a (op) b, both promoted as PyTorch does (result_type; float16 and bfloat16
// compared in float32, which holds them exactly).
Tensor compare_values(Cmp c, const char* op, const Tensor& a_in, const Tensor& b_in) {
  const Dtype common = detail::compute_dtype(result_type(a_in, b_in));
  const Shape out_shape = detail::broadcast_shapes(op, a_in.shape(), b_in.shape());
  const Tensor a = detail::cast_values(a_in, common), b = detail::cast_values(b_in, common);
  Tensor out = empty(out_shape, kBool);
  bool* o = out.data_ptr<bool>();
  const std::array<std::vector<int64_t>, 2> strides{detail::broadcast_strides(a, out_shape),
                                                    detail::broadcast_strides(b, out_shape)};
  detail::dispatch(common, [&](auto tag) {
    using T = decltype(tag);
    const T *pa = static_cast<const T*>(detail::raw_data(a)), *pb = static_cast<const T*>(detail::raw_data(b));
    detail::for_each_broadcast(out_shape, strides,
                               [&](int64_t i, const std::array<int64_t, 2>& off) { o[i] = compare(c, pa[off[0]], pb[off[1]]); });
  });
  return out;
}

}  // namespace

Tensor eq(const Tensor& a, const Tensor& b) { return compare_values(Cmp::Eq, "eq", a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return compare_values(Cmp::Ne, "ne", a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare_values(Cmp::Lt, "lt", a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return compare_values(Cmp::Le, "le", a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return compare_values(Cmp::Gt, "gt", a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare_values(Cmp::Ge, "ge", a, b); }
Tensor operator==(const Tensor& a, const Tensor& b) { return eq(a, b); }
Tensor operator!=(const Tensor& a, const Tensor& b) { return ne(a, b); }
Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
Tensor operator==(const Tensor& a, const Scalar& s) { return eq(a, detail::scalar_tensor(s)); }
Tensor operator!=(const Tensor& a, const Scalar& s) { return ne(a, detail::scalar_tensor(s)); }
Tensor operator<(const Tensor& a, const Scalar& s) { return lt(a, detail::scalar_tensor(s)); }
Tensor operator<=(const Tensor& a, const Scalar& s) { return le(a, detail::scalar_tensor(s)); }
Tensor operator>(const Tensor& a, const Scalar& s) { return gt(a, detail::scalar_tensor(s)); }
Tensor operator>=(const Tensor& a, const Scalar& s) { return ge(a, detail::scalar_tensor(s)); }

// out = a where keep(i, j) for each (M, N) matrix of a (..., M, N), else 0. Any dtype.
template <class Keep> static Tensor triangle(const char* op, const Tensor& a_in, Keep keep) {
  const Tensor a = a_in.contiguous();
  if (a.dim() < 2)
    throw std::invalid_argument(std::string(op) + ": expected a tensor of at least 2 dims (..., M, N), got shape " +
                                shape_str(a.shape()));
  const int64_t M = a.shape()[a.dim() - 2], N = a.shape().back();
  const int64_t batch = M * N == 0 ? 0 : a.numel() / (M * N);
  Tensor out = empty(a.shape(), a.dtype());
  detail::dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = static_cast<const T*>(detail::raw_data(a));
    T* o = static_cast<T*>(detail::raw_data(out));
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j) {
          const int64_t at = (b * M + i) * N + j;  // matrix b, row i, column j
          o[at] = keep(i, j) ? x[at] : T{};
        }
  });
  return out;
}

// y = the lower triangle of each matrix: j - i <= k kept. da += dy with the same triangle.
Tensor tril(const Tensor& a, int64_t k) {
  auto keep = [k](int64_t i, int64_t j) { return j - i <= k; };
  Tensor y = triangle("tril", a, keep);
  record(y, "tril", {a}, [a, keep](const Tensor& dy) {
    accumulate_grad(a, triangle("tril", dy, keep));
  }, Saved::Nothing);
  return y;
}

// y = the upper triangle of each matrix: j - i >= k kept. da += dy with the same triangle.
Tensor triu(const Tensor& a, int64_t k) {
  auto keep = [k](int64_t i, int64_t j) { return j - i >= k; };
  Tensor y = triangle("triu", a, keep);
  record(y, "triu", {a}, [a, keep](const Tensor& dy) {
    accumulate_grad(a, triangle("triu", dy, keep));
  }, Saved::Nothing);
  return y;
}

static void check_mask(const char* op, const Tensor& mask) {
  if (mask.dtype() != kBool)
    throw std::invalid_argument(std::string(op) + ": the mask must be bool, got " + dtype_name(mask.dtype()) +
                                " of shape " + shape_str(mask.shape()));
}

// out = a with value where mask (broadcast to a's shape) is true. The value must fit a's dtype (checked by callers).
static Tensor fill_masked(const Tensor& a, const Tensor& mask, const Scalar& value) {
  const Tensor v_t = detail::scalar_tensor(value).to(a.dtype());  // the value in a's dtype, cast as PyTorch casts
  Tensor out = empty(a.shape(), a.dtype());
  const std::array<std::vector<int64_t>, 2> strides{detail::broadcast_strides(mask, a.shape()), a.strides()};
  const bool* m = mask.data_ptr<bool>();
  detail::dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = static_cast<const T*>(detail::raw_data(a));
    T* o = static_cast<T*>(detail::raw_data(out));
    const T v = *v_t.data_ptr<T>();
    detail::for_each_broadcast(a.shape(), strides, [&](int64_t i, const std::array<int64_t, 2>& off) {
      o[i] = m[off[0]] ? v : x[off[1]];
    });
  });
  return out;
}

// y = a with value where mask. The mask broadcasts to a's shape (not the other way, as PyTorch's in-place
// form). da += dy where not mask.
Tensor masked_fill(const Tensor& a, const Tensor& mask, const Scalar& value) {
  check_mask("masked_fill", mask);
  if (detail::broadcast_shapes("masked_fill", a.shape(), mask.shape()) != a.shape())
    throw std::invalid_argument("masked_fill: mask of shape " + shape_str(mask.shape()) +
                                " does not broadcast to the tensor's shape " + shape_str(a.shape()));
  if (value.is_floating_point()) detail::check_value_fits("masked_fill", value.to_double(), a.dtype());
  Tensor y = fill_masked(a, mask, value);
  record(y, "masked_fill", {a}, [a, mask](const Tensor& dy) {
    accumulate_grad(a, fill_masked(dy, mask, 0));
  }, Saved::Nothing);
  return y;
}
Tensor Tensor::masked_fill(const Tensor& mask, const Scalar& value) const {
  return microtorch::masked_fill(*this, mask, value);
}

// out (broadcast of all three) = cond ? a : b, a and b of one dtype.
static Tensor select_where(const Tensor& cond, const Tensor& a, const Tensor& b, const Shape& out_shape) {
  Tensor out = empty(out_shape, a.dtype());
  const std::array<std::vector<int64_t>, 3> strides{detail::broadcast_strides(cond, out_shape),
                                                    detail::broadcast_strides(a, out_shape),
                                                    detail::broadcast_strides(b, out_shape)};
  const bool* c = cond.data_ptr<bool>();
  detail::dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *pa = static_cast<const T*>(detail::raw_data(a)), *pb = static_cast<const T*>(detail::raw_data(b));
    T* o = out.data_ptr<T>();
    detail::for_each_broadcast(out_shape, strides, [&](int64_t i, const std::array<int64_t, 3>& off) {
      o[i] = c[off[0]] ? pa[off[1]] : pb[off[2]];
    });
  });
  return out;
}

// y = cond ? a : b, broadcasting all three, in a's and b's promoted dtype (as PyTorch: int64 stays int64).
// Floating: da += sum_to(dy where cond), db += sum_to(dy where not cond).
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  for (const auto& [name, t] : {std::pair<const char*, const Tensor&>{"cond", cond}, {"a", a}, {"b", b}})
    if (!t.defined()) throw std::invalid_argument(std::string("where: ") + name + " is an undefined tensor");
  check_mask("where", cond);
  const Shape out_shape = detail::broadcast_shapes("where", {cond.shape(), a.shape(), b.shape()});
  const Dtype common = result_type(a, b);
  Tensor y = select_where(cond, detail::cast_values(a, common), detail::cast_values(b, common), out_shape);
  record(y, "where", {a, b}, [cond, a, b, out_shape](const Tensor& dy) {
    const Tensor zero = zeros({}, dy.dtype());
    if (a.requires_grad()) accumulate_grad(a, sum_to(select_where(cond, dy, zero, out_shape), a.shape()).to(a.dtype()));
    if (b.requires_grad()) accumulate_grad(b, sum_to(select_where(cond, zero, dy, out_shape), b.shape()).to(b.dtype()));
  }, Saved::Nothing);
  return y;
}

}  // namespace microtorch
