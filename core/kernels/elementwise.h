// Fast loops for + - * / over float32 storage, with NumPy broadcasting, and their plain references.
// The plain path they speed up: for each output element, unravel its index, find the element of a and of b
// it reads (index 0 along a broadcast dim), apply the op. See elementwise.cpp and broadcast.cpp.
#pragma once
#include <cstdint>
#include <vector>

namespace microtorch::kernels {

using Dims = std::vector<int64_t>;

enum class BinaryOp { Add, Sub, Mul, Div };

// out (out_shape) = a (a_shape) op b (b_shape). out_shape is the broadcast of the two (the caller checked).
void binary(BinaryOp op, const float* a, const Dims& a_shape, const float* b, const Dims& b_shape, float* out,
            const Dims& out_shape);
// The same by the index walk, one element at a time: the tests' oracle.
void binary_reference(BinaryOp op, const float* a, const Dims& a_shape, const float* b, const Dims& b_shape,
                      float* out, const Dims& out_shape);

// out (out_shape) = src (src_shape) broadcast, e.g. a reduction's gradient spread back over its input.
void broadcast_copy(const float* src, const Dims& src_shape, float* out, const Dims& out_shape);
void broadcast_copy_reference(const float* src, const Dims& src_shape, float* out, const Dims& out_shape);

// out[i] = a[i], split across threads when large (one std::memcpy per chunk): a gradient's copy.
void copy_values(const float* a, float* out, int64_t n);

// out[i] += a[i], likewise: a gradient accumulated into another (out and a may not overlap).
void add_values(float* out, const float* a, int64_t n);

// out[i] = -a[i]
void negate(const float* a, float* out, int64_t n);

// --- the pieces binary() is made of (elementwise.cpp), one contiguous loop each ---
void binary_same(BinaryOp op, const float* a, const float* b, float* out, int64_t n);     // out = a op b
void binary_scalar_b(BinaryOp op, const float* a, float b, float* out, int64_t n);        // out = a op b
void binary_scalar_a(BinaryOp op, float a, const float* b, float* out, int64_t n);        // out = a op b

// Broadcasting as nested strided loops (broadcast.cpp): the output's dims with size-1 dims dropped and
// neighbours merged wherever both inputs stay contiguous across them. The last dim is the inner run; there
// each input's stride is 1 (it walks along) or 0 (it holds one value for the whole run).
struct BroadcastLoops {
  Dims sizes;             // outermost first
  Dims stride_a, stride_b;  // in elements; 0 along a broadcast dim
};
BroadcastLoops plan_broadcast(const Dims& a_shape, const Dims& b_shape, const Dims& out_shape);

}  // namespace microtorch::kernels
