// Broadcasting binary ops as a few strided loops. The plain loop it speeds up (binary_reference below)
// unravels every output index and re-derives both input offsets per element; here the shapes are reduced
// once to at most a few (outer ..., inner) dims, and each inner run is one of three contiguous loops:
// both inputs walk, or one of them holds a single value. (1024, 1024) x (1, 1024) becomes 1024 runs of a
// same-shape loop; (16,4,32,1,16) x (16,4,1,32,16) becomes (64, 32, 32) runs of 16.
#include <algorithm>
#include <cstring>

#include "elementwise.h"
#include "parallel.h"

namespace microtorch::kernels {

namespace {
struct Add { float operator()(float x, float y) const { return x + y; } };
struct Sub { float operator()(float x, float y) const { return x - y; } };
struct Mul { float operator()(float x, float y) const { return x * y; } };
struct Div { float operator()(float x, float y) const { return x / y; } };

float apply(BinaryOp op, float x, float y) {
  switch (op) {
    case BinaryOp::Add: return x + y;
    case BinaryOp::Sub: return x - y;
    case BinaryOp::Mul: return x * y;
    case BinaryOp::Div: return x / y;
  }
  return 0.0f;
}

int64_t numel(const Dims& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// Strides (in elements) of `shape`, right-aligned to `rank` dims; 0 where shape has 1 or lacks the dim.
Dims aligned_strides(const Dims& shape, size_t rank) {
  Dims st(rank, 0);
  int64_t running = 1;
  for (size_t k = 0; k < shape.size(); ++k) {
    const size_t src = shape.size() - 1 - k, dst = rank - 1 - k;
    st[dst] = shape[src] == 1 ? 0 : running;
    running *= shape[src];
  }
  return st;
}

// One inner run of n elements: each input either walks (stride 1) or holds its first value (stride 0).
template <class F> void inner_run(F f, const float* a, int64_t sa, const float* b, int64_t sb, float* out, int64_t n) {
  float* __restrict o = out;
  if (sa != 0 && sb != 0) {
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
  } else if (sa == 0) {
    const float x = a[0];
    for (int64_t i = 0; i < n; ++i) o[i] = f(x, b[i]);
  } else {
    const float y = b[0];
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], y);
  }
}

// Runs body(run, a_offset, b_offset) for runs [lo, hi) of the loops' outer dims, in order; the offsets
// are found once by division and then stepped like an odometer.
template <class Body> void for_runs(const BroadcastLoops& L, int64_t lo, int64_t hi, Body body) {
  const size_t outer = L.sizes.size() - 1;
  Dims idx(outer, 0);
  int64_t oa = 0, ob = 0, rest = lo;
  for (size_t d = outer; d-- > 0;) {
    idx[d] = rest % L.sizes[d];
    rest /= L.sizes[d];
    oa += idx[d] * L.stride_a[d];
    ob += idx[d] * L.stride_b[d];
  }
  for (int64_t r = lo; r < hi; ++r) {
    body(r, oa, ob);
    for (size_t d = outer; d-- > 0;) {  // next run: bump the innermost outer dim, carry outwards
      oa += L.stride_a[d];
      ob += L.stride_b[d];
      if (++idx[d] < L.sizes[d]) break;
      oa -= L.stride_a[d] * L.sizes[d];
      ob -= L.stride_b[d] * L.sizes[d];
      idx[d] = 0;
    }
  }
}
}  // namespace

BroadcastLoops plan_broadcast(const Dims& a_shape, const Dims& b_shape, const Dims& out_shape) {
  const size_t rank = out_shape.size();
  const Dims sa = aligned_strides(a_shape, rank), sb = aligned_strides(b_shape, rank);
  BroadcastLoops L;
  for (size_t d = 0; d < rank; ++d) {
    if (out_shape[d] == 1) continue;  // a size-1 dim adds no loop
    if (!L.sizes.empty() && L.stride_a.back() == sa[d] * out_shape[d] && L.stride_b.back() == sb[d] * out_shape[d]) {
      // both inputs are contiguous (or both constant) across the previous dim and this one: merge
      L.sizes.back() *= out_shape[d];
      L.stride_a.back() = sa[d];
      L.stride_b.back() = sb[d];
      continue;
    }
    L.sizes.push_back(out_shape[d]);
    L.stride_a.push_back(sa[d]);
    L.stride_b.push_back(sb[d]);
  }
  if (L.sizes.empty()) L = {{1}, {1}, {1}};  // one element
  return L;
}

void binary(BinaryOp op, const float* a, const Dims& a_shape, const float* b, const Dims& b_shape, float* out,
            const Dims& out_shape) {
  const int64_t n = numel(out_shape);
  if (n == 0) return;
  const int64_t na = numel(a_shape), nb = numel(b_shape);
  if (na == n && nb == n) return binary_same(op, a, b, out, n);  // equal shapes up to leading 1s
  if (nb == 1) return binary_scalar_b(op, a, b[0], out, n);
  if (na == 1) return binary_scalar_a(op, a[0], b, out, n);
  const BroadcastLoops L = plan_broadcast(a_shape, b_shape, out_shape);
  const int64_t inner = L.sizes.back(), sa = L.stride_a.back(), sb = L.stride_b.back();
  const int64_t runs = n / inner;
  auto loops = [&](auto f) {
    parallel_for(0, runs, std::max<int64_t>(1, kGrain / inner), [&](int64_t lo, int64_t hi) {
      for_runs(L, lo, hi, [&](int64_t r, int64_t oa, int64_t ob) { inner_run(f, a + oa, sa, b + ob, sb, out + r * inner, inner); });
    });
  };
  switch (op) {
    case BinaryOp::Add: loops(Add{}); break;
    case BinaryOp::Sub: loops(Sub{}); break;
    case BinaryOp::Mul: loops(Mul{}); break;
    case BinaryOp::Div: loops(Div{}); break;
  }
}

void broadcast_copy(const float* src, const Dims& src_shape, float* out, const Dims& out_shape) {
  const int64_t n = numel(out_shape);
  if (n == 0) return;
  if (numel(src_shape) == n) {
    std::memcpy(out, src, sizeof(float) * static_cast<size_t>(n));
    return;
  }
  if (numel(src_shape) == 1) {
    std::fill_n(out, n, src[0]);
    return;
  }
  const BroadcastLoops L = plan_broadcast(src_shape, out_shape, out_shape);  // b: a stand-in that walks
  const int64_t inner = L.sizes.back(), ss = L.stride_a.back();
  parallel_for(0, n / inner, std::max<int64_t>(1, kGrain / inner), [&](int64_t lo, int64_t hi) {
    for_runs(L, lo, hi, [&](int64_t r, int64_t os, int64_t) {
      float* o = out + r * inner;
      if (ss != 0) std::memcpy(o, src + os, sizeof(float) * static_cast<size_t>(inner));
      else std::fill_n(o, inner, src[os]);
    });
  });
}

// --- references: the index walk, one output element at a time ---

// Offset into an input of `shape` (right-aligned) for the output multi-index idx: 0 along its size-1 dims.
static int64_t input_offset(const Dims& shape, const Dims& idx) {
  int64_t off = 0, running = 1;
  for (size_t k = 0; k < shape.size(); ++k) {
    const size_t d = shape.size() - 1 - k;
    const int64_t i = shape[d] == 1 ? 0 : idx[idx.size() - 1 - k];
    off += i * running;
    running *= shape[d];
  }
  return off;
}

static Dims unravel(int64_t flat, const Dims& shape) {
  Dims idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return idx;
}

void binary_reference(BinaryOp op, const float* a, const Dims& a_shape, const float* b, const Dims& b_shape,
                      float* out, const Dims& out_shape) {
  const int64_t n = numel(out_shape);
  for (int64_t i = 0; i < n; ++i) {
    const Dims idx = unravel(i, out_shape);
    out[i] = apply(op, a[input_offset(a_shape, idx)], b[input_offset(b_shape, idx)]);
  }
}

void broadcast_copy_reference(const float* src, const Dims& src_shape, float* out, const Dims& out_shape) {
  const int64_t n = numel(out_shape);
  for (int64_t i = 0; i < n; ++i) out[i] = src[input_offset(src_shape, unravel(i, out_shape))];
}

}  // namespace microtorch::kernels
