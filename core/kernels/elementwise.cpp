// Contiguous loops for + - * / and negation; the plain loop they speed up is `for i: out[i] = a[i] op b[i]`
// with the op chosen per element. Here the op is chosen once per call, so each loop is a single
// vectorisable statement; large ones are split across threads (each element written once, so the floats
// do not depend on the thread count).
#include "elementwise.h"

#include <cstring>

#include "binary_op.h"
#include "parallel.h"

namespace microtorch::kernels {

void binary_same(BinaryOp op, const float* a, const float* b, float* out, int64_t n) {
  with_op(op, [&](auto f) {
    parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
      float* __restrict o = out;
      for (int64_t i = lo; i < hi; ++i) o[i] = f(a[i], b[i]);
    });
  });
}

void binary_scalar_b(BinaryOp op, const float* a, float b, float* out, int64_t n) {
  with_op(op, [&](auto f) {
    parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
      float* __restrict o = out;
      for (int64_t i = lo; i < hi; ++i) o[i] = f(a[i], b);
    });
  });
}

void binary_scalar_a(BinaryOp op, float a, const float* b, float* out, int64_t n) {
  with_op(op, [&](auto f) {
    parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
      float* __restrict o = out;
      for (int64_t i = lo; i < hi; ++i) o[i] = f(a, b[i]);
    });
  });
}

void copy_values(const float* a, float* out, int64_t n) {
  parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
    std::memcpy(out + lo, a + lo, sizeof(float) * static_cast<size_t>(hi - lo));
  });
}

void add_values(float* out, const float* a, int64_t n) {
  parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) out[i] += a[i];
  });
}

void negate(const float* a, float* out, int64_t n) {
  parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
    float* __restrict o = out;
    for (int64_t i = lo; i < hi; ++i) o[i] = -a[i];
  });
}

}  // namespace microtorch::kernels
