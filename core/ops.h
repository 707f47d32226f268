// The differentiable ops. Each lives in core/ops/<group>.cpp with its backward right beside it.
// Float32 tensors; binary ops broadcast as NumPy and PyTorch do.
#pragma once
#include "tensor.h"

namespace microtorch {

// --- binary (ops/binary.cpp): broadcasting; the gradient is summed back over broadcast dims ---
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& a);
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, float s);
Tensor operator-(const Tensor& a, float s);
Tensor operator*(const Tensor& a, float s);
Tensor operator/(const Tensor& a, float s);
Tensor operator+(float s, const Tensor& a);
Tensor operator-(float s, const Tensor& a);
Tensor operator*(float s, const Tensor& a);
Tensor operator/(float s, const Tensor& a);

// --- unary (ops/unary.cpp) ---
Tensor tanh(const Tensor& a);
Tensor relu(const Tensor& a);
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);

// --- reductions (ops/reduce.cpp) ---
Tensor sum(const Tensor& a);                                      // () scalar
Tensor mean(const Tensor& a);
Tensor sum(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor mean(const Tensor& a, int64_t dim, bool keepdim = false);

// --- linear algebra (ops/matmul.cpp) ---
Tensor matmul(const Tensor& a, const Tensor& b);  // (..., M, K) x (K, N) -> (..., M, N); 1-D b is (K)

// --- shape (ops/shape.cpp) ---
Tensor transpose(const Tensor& a, int64_t dim0, int64_t dim1);  // copies: every Tensor is contiguous
Tensor one_hot(const Tensor& ids, int64_t num_classes);         // int ids (...) -> float32 (..., num_classes)

// --- softmax (ops/softmax.cpp): over the last dim, numerically stable ---
Tensor softmax(const Tensor& a, int64_t dim = -1);
Tensor log_softmax(const Tensor& a, int64_t dim = -1);

}  // namespace microtorch
