// Broadcasting binary ops as a few strided loops. The plain loop it speeds up (binary_reference below)
// unravels every output index and re-derives both input offsets per element; here the shapes are reduced
// once to at most a few (outer ..., mid, inner) dims, and each inner run is one of three contiguous loops
// (both inputs walk, or one of them holds a single value), called for a whole span of runs along the mid
// dim. (1024, 1024) x (1, 1024) becomes 1024 runs of a same-shape loop; (16,4,32,1,16) x (16,4,1,32,16)
// becomes 64 x 32 spans of 32 runs of 16.
#include <algorithm>
#include <cstring>

#include "binary_op.h"
#include "elementwise.h"
#include "parallel.h"

namespace microtorch::kernels {

namespace {
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

// `rows` inner runs of n elements, row k at a + k*sam, b + k*sbm, out + k*n. Kind says which inputs walk
// along a run (both; only b, a holding one value; only a), fixed per call so each loop is one statement.
enum Kind { kBoth, kOnlyB, kOnlyA };
template <Kind kind, int n, class F>
void runs_of(F f, const float* a, int64_t sam, const float* b, int64_t sbm, float* out, int64_t rows) {
  for (int64_t k = 0; k < rows; ++k) {
    const float* pa = a + k * sam;
    const float* pb = b + k * sbm;
    float* __restrict o = out + k * n;
    float x[n], y[n];  // gathered first, so the stores cannot alias the loads
    for (int i = 0; i < n; ++i) x[i] = kind == kOnlyB ? pa[0] : pa[i];
    for (int i = 0; i < n; ++i) y[i] = kind == kOnlyA ? pb[0] : pb[i];
    for (int i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
  }
}
template <Kind kind, class F>
void runs(F f, const float* a, int64_t sam, const float* b, int64_t sbm, float* out, int64_t rows, int64_t n) {
  if (n == 16 || n == 32 || n == 64) {  // short runs (a head dim): a fixed count compiles to whole vectors
    if (n == 16) return runs_of<kind, 16>(f, a, sam, b, sbm, out, rows);
    if (n == 32) return runs_of<kind, 32>(f, a, sam, b, sbm, out, rows);
    return runs_of<kind, 64>(f, a, sam, b, sbm, out, rows);
  }
  for (int64_t k = 0; k < rows; ++k) {
    const float* pa = a + k * sam;
    const float* pb = b + k * sbm;
    float* __restrict o = out + k * n;
    if (kind == kBoth) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(pa[i], pb[i]);
    } else if (kind == kOnlyB) {
      const float x = pa[0];
      for (int64_t i = 0; i < n; ++i) o[i] = f(x, pb[i]);
    } else {
      const float y = pb[0];
      for (int64_t i = 0; i < n; ++i) o[i] = f(pa[i], y);
    }
  }
}

// The runs (one per index of every dim but the inner one) numbered in order; runs [lo, hi) are handed to
// body(first_run, count, a_offset, b_offset) in spans along the second-innermost ("mid") dim, each span's
// next run `mid stride` further on. The outer dims' offsets are found once by division, then stepped
// like an odometer.
template <class Body> void for_spans(const BroadcastLoops& L, int64_t lo, int64_t hi, Body body) {
  const size_t nd = L.sizes.size();
  const int64_t mid = nd >= 2 ? L.sizes[nd - 2] : 1;
  const int64_t sam = nd >= 2 ? L.stride_a[nd - 2] : 0, sbm = nd >= 2 ? L.stride_b[nd - 2] : 0;
  const size_t outer = nd >= 2 ? nd - 2 : 0;
  Dims idx(outer, 0);
  int64_t oa = 0, ob = 0, rest = lo / mid;
  for (size_t d = outer; d-- > 0;) {
    idx[d] = rest % L.sizes[d];
    rest /= L.sizes[d];
    oa += idx[d] * L.stride_a[d];
    ob += idx[d] * L.stride_b[d];
  }
  for (int64_t r = lo; r < hi;) {
    const int64_t m0 = r % mid, count = std::min(mid - m0, hi - r);
    body(r, count, oa + m0 * sam, ob + m0 * sbm);
    r += count;
    for (size_t d = outer; d-- > 0;) {  // next outer index: bump the innermost, carry outwards
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
  const size_t nd = L.sizes.size();
  const int64_t inner = L.sizes.back();
  const int64_t sam = nd >= 2 ? L.stride_a[nd - 2] : 0, sbm = nd >= 2 ? L.stride_b[nd - 2] : 0;
  const Kind kind = L.stride_a.back() != 0 && L.stride_b.back() != 0 ? kBoth : L.stride_a.back() == 0 ? kOnlyB : kOnlyA;
  auto loops = [&](auto f) {
    parallel_for(0, n / inner, std::max<int64_t>(1, kGrain / inner), [&](int64_t lo, int64_t hi) {
      for_spans(L, lo, hi, [&](int64_t r, int64_t count, int64_t oa, int64_t ob) {
        float* o = out + r * inner;
        if (kind == kBoth) runs<kBoth>(f, a + oa, sam, b + ob, sbm, o, count, inner);
        else if (kind == kOnlyB) runs<kOnlyB>(f, a + oa, sam, b + ob, sbm, o, count, inner);
        else runs<kOnlyA>(f, a + oa, sam, b + ob, sbm, o, count, inner);
      });
    });
  };
  with_op(op, loops);
}

void broadcast_copy(const float* src, const Dims& src_shape, float* out, const Dims& out_shape) {
  const int64_t n = numel(out_shape);
  if (n == 0) return;
  if (numel(src_shape) == n) return copy_values(src, out, n);  // a plain copy
  if (numel(src_shape) == 1) {  // one value everywhere (sum's backward)
    const float v = src[0];
    parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) { std::fill(out + lo, out + hi, v); });
    return;
  }
  const BroadcastLoops L = plan_broadcast(src_shape, out_shape, out_shape);  // b: a stand-in that walks
  const size_t nd = L.sizes.size();
  const int64_t inner = L.sizes.back(), ss = L.stride_a.back(), ssm = nd >= 2 ? L.stride_a[nd - 2] : 0;
  parallel_for(0, n / inner, std::max<int64_t>(1, kGrain / inner), [&](int64_t lo, int64_t hi) {
    for_spans(L, lo, hi, [&](int64_t r, int64_t count, int64_t os, int64_t) {
      for (int64_t k = 0; k < count; ++k) {
        float* o = out + (r + k) * inner;
        const float* s = src + os + k * ssm;
        if (ss != 0) std::memcpy(o, s, sizeof(float) * static_cast<size_t>(inner));
        else std::fill_n(o, inner, s[0]);
      }
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
