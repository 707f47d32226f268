// The differentiable ops. Each lives in core/ops/<group>.cpp with its backward right beside it.
// Arithmetic is on float32 tensors; shape ops, comparisons, masks and casts take every dtype. Binary ops,
// comparisons and where broadcast as NumPy and PyTorch do. Negative dims count from the end; a dim or index
// out of range throws std::out_of_range naming it and the valid range.
#pragma once
#include <tuple>
#include <vector>

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
Tensor sqrt(const Tensor& a);
Tensor rsqrt(const Tensor& a);                 // 1 / sqrt(a)
Tensor pow(const Tensor& a, double exponent);  // the exponent is a constant (no gradient)
Tensor sigmoid(const Tensor& a);
Tensor abs(const Tensor& a);                   // gradient sign(a): 0 at 0, as PyTorch

// --- reductions (ops/reduce.cpp) ---
Tensor sum(const Tensor& a);                                      // () scalar
Tensor mean(const Tensor& a);
Tensor sum(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor mean(const Tensor& a, int64_t dim, bool keepdim = false);

// --- statistics (ops/statistics.cpp) ---
Tensor var(const Tensor& a, int64_t dim, bool unbiased = true, bool keepdim = false);  // unbiased: / (n - 1)

// --- selection (ops/select.cpp): indices are int64; max, argmax and topk order float32, int64 and int32 ---
std::tuple<Tensor, Tensor> max(const Tensor& a, int64_t dim, bool keepdim = false);  // (values, indices);
                                                                 // the gradient goes to the max's position
Tensor argmax(const Tensor& a, int64_t dim, bool keepdim = false);  // first index of the max (NaN counts as max)
std::tuple<Tensor, Tensor> topk(const Tensor& a, int64_t k, int64_t dim = -1);  // (values, indices), largest
                                                                 // first, sorted; ties: lowest index first;
                                                                 // a 0-d a (k 0 or 1) gives a and index 0
Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement = false);  // probs (C) or (R, C)
                                                                 // weights -> (n) or (R, n) int64 draws

// --- linear algebra (ops/matmul.cpp) ---
// (..., M, K) x (..., K, N) -> (..., M, N) with the batch dims broadcast; a 1-D a is (K) -> a row, a 1-D b
// is (K) -> a column, that dim dropped from the result (as torch.matmul).
Tensor matmul(const Tensor& a, const Tensor& b);

// --- shape (ops/shape.cpp) ---
Tensor transpose(const Tensor& a, int64_t dim0, int64_t dim1);  // copies: every Tensor is contiguous
Tensor permute(const Tensor& a, const Shape& dims);             // copies
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);    // same shape except along dim
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);  // same shape; a new dim at dim
Tensor one_hot(const Tensor& ids, int64_t num_classes = -1);    // int ids (...) -> int64 (..., num_classes);
                                                                 // -1: max(ids) + 1, as PyTorch

// --- softmax (ops/softmax.cpp): over any dim, numerically stable ---
Tensor softmax(const Tensor& a, int64_t dim = -1);
Tensor log_softmax(const Tensor& a, int64_t dim = -1);

// --- comparisons and masks (ops/compare.cpp): comparisons broadcast and return kBool (no gradient) ---
// A number on the right side: int, float and double literals alike (x == 0, x < 0.5f). It remembers whether it
// was written as an integer, which decides the comparison's dtype as PyTorch's promotion does: an int64 tensor
// against an integer compares int64 values exactly (ids == 16777217), against a floating-point number in float32
// (int64 16777217 == 16777216.0 is true, as in PyTorch, since 16777217 rounds to 16777216 in float32).
class Scalar {
 public:
  Scalar(int v) : i_(v), integral_(true) {}  // NOLINT: implicit, as c10::Scalar
  Scalar(long v) : i_(v), integral_(true) {}  // NOLINT
  Scalar(long long v) : i_(v), integral_(true) {}  // NOLINT
  Scalar(unsigned v) : i_(v), integral_(true) {}  // NOLINT
  Scalar(unsigned long v) : Scalar(static_cast<unsigned long long>(v)) {}  // NOLINT
  Scalar(unsigned long long v)  // NOLINT: above int64's range it is held as a double
      : i_(v <= 9223372036854775807ull ? static_cast<int64_t>(v) : 0), d_(static_cast<double>(v)),
        integral_(v <= 9223372036854775807ull) {}
  Scalar(float v) : d_(v) {}  // NOLINT
  Scalar(double v) : d_(v) {}  // NOLINT
  bool is_integral() const { return integral_; }
  int64_t to_int64() const { return i_; }  // the value, when is_integral()
  double to_double() const { return integral_ ? static_cast<double>(i_) : d_; }

 private:
  int64_t i_ = 0;
  double d_ = 0.0;
  bool integral_ = false;
};
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator==(const Tensor& a, Scalar s);
Tensor operator!=(const Tensor& a, Scalar s);
Tensor operator<(const Tensor& a, Scalar s);
Tensor operator<=(const Tensor& a, Scalar s);
Tensor operator>(const Tensor& a, Scalar s);
Tensor operator>=(const Tensor& a, Scalar s);
Tensor tril(const Tensor& a, int64_t k = 0);  // (..., M, N): keeps j - i <= k, zeroes the rest
Tensor triu(const Tensor& a, int64_t k = 0);  // keeps j - i >= k
Tensor masked_fill(const Tensor& a, const Tensor& mask, float value);  // mask kBool, broadcastable to a
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);    // cond kBool; all three broadcast;
                                                                       // a and b's dtypes promoted, as PyTorch

}  // namespace microtorch
