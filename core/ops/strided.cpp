// Strided geometry (strided.h) and copy_strided, the copy every layout change goes through. Its plain path
// is copy_strided_plain: one element at a time, both sides' offsets worked out from the row-major index.
#include "strided.h"

#include <cstring>
#include <type_traits>

#include "../kernels/parallel.h"
#include "../kernels/transpose.h"
#include "dispatch.h"
#include "tensor_access.h"

namespace microtorch::detail {

Shape contiguous_strides(const Shape& sizes) {
  Shape strides(sizes.size(), 1);
  for (size_t d = sizes.size(); d-- > 1;) strides[d - 1] = strides[d] * std::max<int64_t>(sizes[d], 1);
  return strides;
}

bool is_contiguous_geometry(const Shape& sizes, const Shape& strides) {
  int64_t expected = 1;
  for (size_t d = sizes.size(); d-- > 0;) {
    if (sizes[d] == 0) return true;
    if (sizes[d] == 1) continue;
    if (strides[d] != expected) return false;
    expected *= sizes[d];
  }
  return true;
}

// Dims by stride, largest first (ties: the later dim inner, as the row-major order has it).
static std::vector<size_t> dims_by_stride(const Shape& strides) {
  std::vector<size_t> order(strides.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return strides[x] > strides[y]; });
  return order;
}

bool is_non_overlapping_and_dense(const Shape& sizes, const Shape& strides) {
  if (is_contiguous_geometry(sizes, strides)) return true;
  const std::vector<size_t> order = dims_by_stride(strides);
  int64_t expected = 1;
  for (size_t i = order.size(); i-- > 0;) {
    const size_t d = order[i];
    if (sizes[d] == 1) continue;
    if (strides[d] != expected) return false;
    expected *= sizes[d];
  }
  return true;
}

Shape strides_like(const Shape& sizes, const Shape& like) {
  if (is_contiguous_geometry(sizes, like)) return contiguous_strides(sizes);
  const std::vector<size_t> order = dims_by_stride(like);
  Shape strides(sizes.size());
  int64_t step = 1;
  for (size_t i = order.size(); i-- > 0;) {
    strides[order[i]] = step;
    step *= std::max<int64_t>(sizes[order[i]], 1);
  }
  return strides;
}

Tensor as_strided(const Tensor& t, const Shape& sizes, const Shape& strides, int64_t offset) {
  return Tensor(std::make_shared<TensorImpl>(impl_ptr(t)->storage, sizes, strides, offset, t.dtype()));
}

}  // namespace microtorch::detail

namespace microtorch {

Tensor empty_strided(const Shape& shape, const Shape& strides, Dtype dtype) {
  if (strides.size() != shape.size())
    throw std::invalid_argument("empty_strided: " + std::to_string(strides.size()) + " strides " + shape_str(strides) +
                                " for the " + std::to_string(shape.size()) + " dims of shape " + shape_str(shape));
  int64_t extent = shape_numel(shape) == 0 ? 0 : 1;  // elements up to the largest offset, checked for overflow
  for (size_t d = 0; d < shape.size(); ++d) {
    int64_t reach = 0;
    if (strides[d] < 0 || __builtin_mul_overflow(std::max<int64_t>(shape[d] - 1, 0), strides[d], &reach) ||
        __builtin_add_overflow(extent, extent == 0 ? 0 : reach, &extent))
      throw std::invalid_argument("empty_strided: strides " + shape_str(strides) + " for shape " + shape_str(shape) +
                                  " are negative or reach past int64");
  }
  return detail::as_strided(empty({extent}, dtype), shape, strides, 0);
}

Tensor empty_like(const Tensor& t) { return detail::empty_like_layout(t, t.dtype()); }

}  // namespace microtorch

namespace microtorch::detail {

Tensor empty_like_layout(const Tensor& t, Dtype dtype) {
  Tensor out = empty(t.shape(), dtype);
  if (t.is_contiguous() || !is_non_overlapping_and_dense(t.shape(), t.strides())) return out;
  return as_strided(out, t.shape(), strides_like(t.shape(), t.strides()), 0);
}

std::vector<int64_t> broadcast_strides(const Tensor& t, const Shape& out) {
  const Shape& in = t.shape();
  std::vector<int64_t> strides(out.size(), 0);
  for (size_t i = 0; i < in.size(); ++i) {
    const size_t o = out.size() - in.size() + i;
    strides[o] = in[i] == 1 && out[o] != 1 ? 0 : t.strides()[i];
  }
  return strides;
}

// One element of From as To: as PyTorch casts (bool: != 0; float16/bfloat16 through float32).
template <class To, class From> static To cast_one(From x) {
  constexpr bool from_16 = std::is_same_v<From, Half> || std::is_same_v<From, BFloat16>;
  constexpr bool to_16 = std::is_same_v<To, Half> || std::is_same_v<To, BFloat16>;
  if constexpr (from_16) return cast_one<To>(static_cast<float>(x));
  else if constexpr (std::is_same_v<To, bool>) return x != From{};
  else if constexpr (to_16) return To(static_cast<float>(x));
  else return static_cast<To>(x);
}

// dst <- src along one inner run: memcpy when both step 1 and one dtype, else element by element.
template <class To, class From>
static void copy_run(To* o, const From* x, int64_t n, int64_t so, int64_t sx) {
  if constexpr (std::is_same_v<To, From>) {
    if (so == 1 && sx == 1) {
      std::memcpy(o, x, static_cast<size_t>(n) * sizeof(To));
      return;
    }
  }
  for (int64_t i = 0; i < n; ++i) o[i * so] = cast_one<To>(x[i * sx]);
}

// f(To* dst_data, const From* src_data) for dst's and src's element types: a copy's every dtype pair.
template <class F> static void with_copy_types(const Tensor& dst, const Tensor& src, F f) {
  dispatch(dst.dtype(), [&](auto to_tag) {
    dispatch(src.dtype(), [&](auto from_tag) {
      f(static_cast<decltype(to_tag)*>(raw_data(dst)), static_cast<const decltype(from_tag)*>(raw_data(src)));
    });
  });
}

// True when the plan's last two dims are a transposed block of one dtype: dst steps 1 along the inner run and
// src steps 1 along the dim outside it (x.t().contiguous()), each at least a tile long.
static bool is_transposed_block(const RunPlan<2>& plan) {
  const size_t m = plan.sizes.size();
  return m >= 2 && plan.strides[0][m - 1] == 1 && plan.strides[1][m - 1] != 1 && plan.strides[1][m - 2] == 1 &&
         plan.sizes[m - 1] >= kernels::kTransposeTile && plan.sizes[m - 2] >= kernels::kTransposeTile;
}

// copy_strided over a transposed block: each (A, B) block (one per index of the dims outside it) copied a
// band of tile rows at a time. T is the element's bits.
template <class T> static void copy_transposed(T* out, const T* in, const RunPlan<2>& plan) {
  const size_t m = plan.sizes.size();
  const int64_t A = plan.sizes[m - 2], B = plan.sizes[m - 1];
  const int64_t dst_row = plan.strides[0][m - 2], src_col = plan.strides[1][m - 1];
  RunPlan<2> blocks = plan;  // the dims outside the block, then a run of one element: one run per block
  blocks.sizes.resize(m - 1);
  blocks.sizes.back() = 1;
  for (Shape& s : blocks.strides) {
    s.resize(m - 1);
    s.back() = 0;
  }
  const int64_t bands = (A + kernels::kTransposeTile - 1) / kernels::kTransposeTile;
  const int64_t grain = std::max<int64_t>(1, kernels::kGrain / (kernels::kTransposeTile * B));
  kernels::parallel_for(0, blocks.runs() * bands, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      const int64_t block = i / bands, a0 = (i % bands) * kernels::kTransposeTile;
      for_each_run(blocks, block, block + 1, [&](const std::array<int64_t, 2>& off, int64_t, const std::array<int64_t, 2>&) {
        kernels::transpose_rows(out + off[0], dst_row, in + off[1], src_col, a0,
                                std::min(a0 + kernels::kTransposeTile, A), B);
      });
    }
  });
}

void copy_strided(const Tensor& dst, const Tensor& src) {
  const bool same = dst.dtype() == src.dtype();
  if (same && dst.is_contiguous() && src.is_contiguous() && src.numel() == dst.numel()) {  // one block
    char* d = static_cast<char*>(raw_data(dst));
    const char* s = static_cast<const char*>(raw_data(src));
    return kernels::parallel_for(0, dst.numel() * static_cast<int64_t>(element_size(dst.dtype())), kernels::kGrain * 4,
                                 [&](int64_t lo, int64_t hi) { std::memcpy(d + lo, s + lo, static_cast<size_t>(hi - lo)); });
  }
  if (dst.numel() == 0) return;
  if (dst.is_contiguous() && src.is_contiguous() && src.numel() == dst.numel()) {  // a cast of one block
    return with_copy_types(dst, src, [&](auto* out, const auto* in) {
      kernels::parallel_for(0, dst.numel(), kernels::kGrain, [&](int64_t lo, int64_t hi) {
        copy_run(out + lo, in + lo, hi - lo, 1, 1);
      });
    });
  }
  const RunPlan<2> plan = plan_runs<2>(dst.shape(), {dst.strides(), broadcast_strides(src, dst.shape())});
  if (same && is_transposed_block(plan)) {
    void* out = raw_data(dst);
    const void* in = raw_data(src);
    switch (element_size(dst.dtype())) {
      case 2: return copy_transposed(static_cast<uint16_t*>(out), static_cast<const uint16_t*>(in), plan);
      case 4: return copy_transposed(static_cast<uint32_t*>(out), static_cast<const uint32_t*>(in), plan);
      case 8: return copy_transposed(static_cast<uint64_t*>(out), static_cast<const uint64_t*>(in), plan);
      default: break;  // one-byte elements take the walk below
    }
  }
  const int64_t grain = std::max<int64_t>(1, kernels::kGrain / plan.sizes.back());
  with_copy_types(dst, src, [&](auto* out, const auto* in) {
    kernels::parallel_for(0, plan.runs(), grain, [&](int64_t lo, int64_t hi) {
      for_each_run(plan, lo, hi, [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& step) {
        copy_run(out + off[0], in + off[1], n, step[0], step[1]);
      });
    });
  });
}

void add_strided(const Tensor& dst, const Tensor& src) {
  if (dst.numel() == 0) return;
  if (dst.dtype() == kFloat16 || dst.dtype() == kBFloat16) {  // summed in float32, rounded once
    const Tensor sum = empty(dst.shape(), kFloat32), addend = empty(src.shape(), kFloat32);
    copy_strided(sum, dst);
    copy_strided(addend, src);
    add_strided(sum, addend);
    return copy_strided(dst, sum);
  }
  const RunPlan<2> plan = plan_runs<2>(dst.shape(), {dst.strides(), broadcast_strides(src, dst.shape())});
  dispatch_float(dst.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* out = static_cast<T*>(raw_data(dst));
    const T* in = static_cast<const T*>(raw_data(src));
    const int64_t grain = std::max<int64_t>(1, kernels::kGrain / plan.sizes.back());
    kernels::parallel_for(0, plan.runs(), grain, [&](int64_t lo, int64_t hi) {
      for_each_run(plan, lo, hi, [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& step) {
        T* o = out + off[0];
        const T* x = in + off[1];
        if (step[0] == 1 && step[1] == 1) for (int64_t i = 0; i < n; ++i) o[i] += x[i];
        else for (int64_t i = 0; i < n; ++i) o[i * step[0]] += x[i * step[1]];
      });
    });
  });
}

// One value in every element of dst: the value cast to dst's dtype once, as copy_strided would cast a
// one-element tensor of the Scalar's own dtype (float64, int64 or bool), then stored along each run.
void fill_strided(const Tensor& dst, const Scalar& value) {
  if (dst.numel() == 0) return;
  dispatch(dst.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T v = value.is_floating_point() ? cast_one<T>(value.to_double())
                : value.is_boolean()      ? cast_one<T>(value.to_long() != 0)
                                          : cast_one<T>(value.to_long());
    T* out = static_cast<T*>(raw_data(dst));
    if (dst.is_contiguous()) {
      kernels::parallel_for(0, dst.numel(), kernels::kGrain, [&](int64_t lo, int64_t hi) { std::fill(out + lo, out + hi, v); });
      return;
    }
    for_each_run<1>(dst.shape(), {dst.strides()}, [&](const std::array<int64_t, 1>& off, int64_t n, const std::array<int64_t, 1>& step) {
      for (int64_t i = 0; i < n; ++i) out[off[0] + i * step[0]] = v;
    });
  });
}

void copy_strided_plain(const Tensor& dst, const Tensor& src) {
  const Shape& sizes = dst.shape();
  const std::vector<int64_t> src_strides = broadcast_strides(src, sizes);
  with_copy_types(dst, src, [&](auto* d, const auto* s) {
    using To = std::remove_pointer_t<decltype(d)>;
    Shape idx(sizes.size(), 0);
    for (int64_t i = 0; i < dst.numel(); ++i) {
      int64_t od = 0, os = 0;
      for (size_t k = 0; k < sizes.size(); ++k) {
        od += idx[k] * dst.strides()[k];
        os += idx[k] * src_strides[k];
      }
      d[od] = cast_one<To>(s[os]);
      for (size_t k = sizes.size(); k-- > 0;) {  // next row-major index
        if (++idx[k] < sizes[k]) break;
        idx[k] = 0;
      }
    }
  });
}

}  // namespace microtorch::detail
