// Sums. The plain loops they speed up (the *_reference functions below) keep one accumulator, so each add
// waits for the previous one and the error grows with the count. Here a row is summed in 64 independent
// float lanes (16 for short rows; vectorised, and a shorter chain per lane), lanes combined pairwise,
// blocks of kSumBlock combined in double; a sum over a middle dim adds whole rows (vectorised along the
// inner dim) in chunks of kRowChunk, the chunk sums added together in order. sum_to reduces broadcast dims
// as one or a few (outer, R, inner) sums. Threads split the outputs, the blocks or the row chunks, never
// one accumulator, so results do not depend on them. sum_to_product sums a * b the same way, each block or
// row of products made in a small scratch buffer just before it is added, so its floats are sum_to's of
// the written product.
#include "reduce.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "prefetch.h"
#include "parallel.h"

namespace microtorch::kernels {

namespace {
constexpr int64_t kRowChunk = 256;  // rows added into one float partial before it joins the total
constexpr int64_t kColTile = 1024;  // columns of a (R, inner) sum handled as one task...
constexpr int64_t kMinColTile = 128;  // ...or as few as this, so that every thread gets a task

// acc[k] += acc[k + w] for k < w, then for w/2, ... 1: the lanes combined pairwise. A constant w per
// step, so each step is a few whole-vector adds in registers.
template <int w> [[gnu::always_inline]] inline void fold(float* acc) {
  for (int k = 0; k < w; ++k) acc[k] += acc[k + w];
  fold<w / 2>(acc);
}
template <> [[gnu::always_inline]] inline void fold<0>(float*) {}

// The sum of at most kSumBlock elements, in kLanes lanes combined pairwise: 64 lanes (several vectors in
// flight) for long rows, 16 for short ones, where combining 64 lanes would cost more than the adds. Each
// 64-lane step asks for its four lines kAheadBytes ahead: the hardware prefetcher alone does not keep
// that many adds fed.
constexpr int64_t kAheadBytes = 2048;
template <int kLanes> float lanes_sum(const float* x, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    if (kLanes == 64)
      for (int line = 0; line < 4; ++line) kernels::prefetch_ahead(x + i + 16 * line, kAheadBytes);
    for (int k = 0; k < kLanes; ++k) acc[k] += x[i + k];
  }
  for (int k = 0; i < n; ++i, ++k) acc[k] += x[i];
  fold<kLanes / 2>(acc);
  return acc[0];
}
float block_sum(const float* x, int64_t n) { return n >= 1024 ? lanes_sum<64>(x, n) : lanes_sum<16>(x, n); }

// The values summed: x[i], or x[i] * y[i] when y is set (sum_to_product).
struct Values {
  const float* x;
  const float* y = nullptr;
  Values at(int64_t offset) const { return {x + offset, y ? y + offset : nullptr}; }
  // x[0, n) itself, or the n products written to scratch.
  const float* get(int64_t n, float* __restrict scratch) const {
    if (!y) return x;
    for (int64_t i = 0; i < n; ++i) scratch[i] = x[i] * y[i];
    return scratch;
  }
};

// Products go through a scratch block first, in a function of their own: the block's 16 KB frame on every
// call of a plain sum cost the short rows of x.mean(-1) (8192 x 128) ~8% of their time.
[[gnu::noinline]] float product_block_sum(Values v, int64_t n) {
  float scratch[kSumBlock];
  return block_sum(v.get(n, scratch), n);
}
float block_sum(Values v, int64_t n) { return v.y ? product_block_sum(v, n) : block_sum(v.x, n); }

// The sum of one contiguous row, block by block (one thread).
float row_sum(Values v, int64_t n) {
  if (n <= kSumBlock) return block_sum(v, n);
  double total = 0.0;
  for (int64_t i = 0; i < n; i += kSumBlock) total += block_sum(v.at(i), std::min(kSumBlock, n - i));
  return static_cast<float>(total);
}

// out[0, cols) = column sums of v's first `rows` rows (row stride `stride`; rows <= kRowChunk).
void chunk_column_sums(Values v, int64_t rows, int64_t stride, int64_t cols, float* __restrict out) {
  float scratch[kColTile];
  std::fill_n(out, cols, 0.0f);
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = v.at(r * stride).get(cols, scratch);  // seek to row r
    for (int64_t c = 0; c < cols; ++c) out[c] += row[c];
  }
}

int64_t numel(const Dims& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

float sum_all(Values v, int64_t n) {
  if (n <= kSumBlock) return block_sum(v, n);
  const int64_t blocks = (n + kSumBlock - 1) / kSumBlock;
  std::vector<float> partial(static_cast<size_t>(blocks));
  parallel_for(0, blocks, std::max<int64_t>(1, kGrain / kSumBlock), [&](int64_t lo, int64_t hi) {
    for (int64_t k = lo; k < hi; ++k)
      partial[k] = block_sum(v.at(k * kSumBlock), std::min(kSumBlock, n - k * kSumBlock));
  });
  double total = 0.0;
  for (float p : partial) total += p;
  return static_cast<float>(total);
}

void sum_dim(Values v, int64_t outer, int64_t R, int64_t inner, float* out) {
  if (outer * inner == 0) return;
  if (R == 0) {
    std::fill_n(out, outer * inner, 0.0f);
    return;
  }
  if (inner == 1 && outer == 1) {  // everything: blocks across threads (the same floats as row_sum)
    out[0] = sum_all(v, R);
    return;
  }
  if (inner == 1) {  // each output is a contiguous row of x
    parallel_for(0, outer, std::max<int64_t>(1, kGrain / R), [&](int64_t lo, int64_t hi) {
      for (int64_t o = lo; o < hi; ++o) out[o] = row_sum(v.at(o * R), R);
    });
    return;
  }
  // Tasks: (o, column tile, chunk of kRowChunk rows), each summing its rows of its tile into a partial; a
  // column's partials are then added in chunk order. Neither step depends on the threads, so neither do the
  // floats. Tiles are narrowed while there are fewer than two tasks per thread.
  const int64_t chunks = (R + kRowChunk - 1) / kRowChunk;
  auto tiles_of = [&](int64_t width) { return (inner + width - 1) / width; };
  int64_t width = kColTile;
  while (width > kMinColTile && outer * tiles_of(width) * chunks < 2 * num_threads()) width /= 2;
  const int64_t tiles = tiles_of(width);
  std::vector<float> partial(static_cast<size_t>(chunks > 1 ? outer * chunks * inner : 0));  // (outer, chunks, inner)
  float* dst = chunks > 1 ? partial.data() : out;  // one chunk: straight into out
  const int64_t task_size = std::min(R, kRowChunk) * std::min(inner, width);
  parallel_for(0, outer * tiles * chunks, std::max<int64_t>(1, kGrain / task_size), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t o = t / (tiles * chunks), c0 = t / chunks % tiles * width, k = t % chunks;
      const int64_t cols = std::min(width, inner - c0), r0 = k * kRowChunk, rows = std::min(kRowChunk, R - r0);
      chunk_column_sums(v.at((o * R + r0) * inner + c0), rows, inner, cols, dst + (o * chunks + k) * inner + c0);
    }
  });
  for (int64_t o = 0; o < outer && chunks > 1; ++o) {  // out[o] = ((0 + partial[o, 0]) + partial[o, 1]) + ...
    float* __restrict y = out + o * inner;
    std::fill_n(y, inner, 0.0f);
    for (int64_t k = 0; k < chunks; ++k) {
      const float* p = partial.data() + (o * chunks + k) * inner;
      for (int64_t c = 0; c < inner; ++c) y[c] += p[c];
    }
  }
}

// sum_to of v: the first (innermost) summed group reads v, the later ones the buffer it wrote.
void sum_to(Values v, const Dims& g_shape, float* out, const Dims& shape) {
  const int64_t n = numel(shape);
  if (numel(g_shape) == 0) {
    std::fill_n(out, n, 0.0f);
    return;
  }
  // g's dims (size-1 ones dropped) as groups of kept / summed dims, neighbours of one kind merged
  const size_t lead = g_shape.size() - shape.size();
  Dims sizes;
  std::vector<bool> summed;
  for (size_t d = 0; d < g_shape.size(); ++d) {
    if (g_shape[d] == 1) continue;
    const bool s = d < lead || shape[d - lead] == 1;
    if (!sizes.empty() && summed.back() == s) sizes.back() *= g_shape[d];
    else sizes.push_back(g_shape[d]), summed.push_back(s);
  }
  // Sum the innermost summed group as (outer, R, inner), drop it, merge the kept neighbours, repeat.
  std::vector<float> buf_a, buf_b;
  Values src = v;
  for (;;) {
    size_t k = sizes.size();
    while (k-- > 0 && !summed[k]) {}
    if (k == size_t(-1)) break;  // no summed group left
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < k; ++d) outer *= sizes[d];
    for (size_t d = k + 1; d < sizes.size(); ++d) inner *= sizes[d];
    bool last = true;
    for (size_t d = 0; d < k; ++d) last = last && !summed[d];
    std::vector<float>& dst = src.x == buf_a.data() ? buf_b : buf_a;
    float* target = out;
    if (!last) {
      dst.assign(static_cast<size_t>(outer * inner), 0.0f);
      target = dst.data();
    }
    sum_dim(src, outer, sizes[k], inner, target);
    if (last) return;
    src = Values{target};
    sizes.erase(sizes.begin() + k);
    summed.erase(summed.begin() + k);
    if (k > 0 && k < sizes.size() && !summed[k - 1] && !summed[k]) {  // the kept groups either side join
      sizes[k - 1] *= sizes[k];
      sizes.erase(sizes.begin() + k);
      summed.erase(summed.begin() + k);
    }
  }
  // nothing summed: the same elements
  if (src.y) binary_same(BinaryOp::Mul, src.x, src.y, out, n);
  else std::memcpy(out, src.x, sizeof(float) * static_cast<size_t>(n));
}
}  // namespace

float sum_all(const float* x, int64_t n) { return sum_all(Values{x}, n); }
void sum_dim(const float* x, int64_t outer, int64_t R, int64_t inner, float* out) {
  sum_dim(Values{x}, outer, R, inner, out);
}
void sum_to(const float* g, const Dims& g_shape, float* out, const Dims& shape) {
  sum_to(Values{g}, g_shape, out, shape);
}
void sum_to_product(const float* a, const float* b, const Dims& g_shape, float* out, const Dims& shape) {
  sum_to(Values{a, b}, g_shape, out, shape);
}

// --- references ---

double sum_all_reference(const float* x, int64_t n) {
  double acc = 0.0;
  for (int64_t i = 0; i < n; ++i) acc += x[i];
  return acc;
}

void sum_dim_reference(const float* x, int64_t outer, int64_t R, int64_t inner, float* out) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double acc = 0.0;
      for (int64_t r = 0; r < R; ++r) acc += x[(o * R + r) * inner + i];
      out[o * inner + i] = static_cast<float>(acc);
    }
}

void sum_to_reference(const float* g, const Dims& g_shape, float* out, const Dims& shape) {
  const int64_t n = numel(shape), ng = numel(g_shape);
  std::vector<double> acc(static_cast<size_t>(n), 0.0);
  const size_t lead = g_shape.size() - shape.size();
  for (int64_t i = 0; i < ng; ++i) {
    int64_t rest = i, off = 0, running = 1;
    for (size_t d = g_shape.size(); d-- > lead;) {  // unravel i; its offset in `shape` (0 along size-1 dims)
      const int64_t idx = rest % g_shape[d];
      rest /= g_shape[d];
      const int64_t s = shape[d - lead];
      off += (s == 1 ? 0 : idx) * running;
      running *= s;
    }
    acc[static_cast<size_t>(off)] += g[i];
  }
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(acc[static_cast<size_t>(i)]);
}

}  // namespace microtorch::kernels
