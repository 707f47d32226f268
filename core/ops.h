// The differentiable ops. Each lives in core/ops/<group>.cpp with its backward right beside it.
// Arithmetic is on float32 tensors; shape ops, comparisons, masks and casts take every dtype. Binary ops,
// comparisons and where broadcast as NumPy and PyTorch do. Negative dims count from the end; a dim or index
// out of range throws std::out_of_range naming it and the valid range.
#pragma once
#include <optional>
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
// With a number (any C++ number, as a Scalar): a float number keeps a float tensor's dtype and makes an
// integer one float32; an integer keeps an integer tensor's (ids * 2 is int64, ids * 2.0f float32).
Tensor operator+(const Tensor& a, const Scalar& s);
Tensor operator-(const Tensor& a, const Scalar& s);
Tensor operator*(const Tensor& a, const Scalar& s);
Tensor operator/(const Tensor& a, const Scalar& s);
Tensor operator+(const Scalar& s, const Tensor& a);
Tensor operator-(const Scalar& s, const Tensor& a);
Tensor operator*(const Scalar& s, const Tensor& a);
Tensor operator/(const Scalar& s, const Tensor& a);

// --- type promotion (ops/promotion.cpp), PyTorch's: the dtype an op on these operands computes and returns.
// Tensors with dims decide among themselves (promote_types); a zero-dim tensor or a number matters only when
// of a higher category (bool < integer < floating), a float number then counting as float32.
Dtype result_type(const Tensor& a, const Tensor& b);
Dtype result_type(const Tensor& a, const Scalar& s);
Dtype result_type(const std::vector<Tensor>& operands);

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

// --- clamp (ops/clamp.cpp), composed of where: no backward of its own. The gradient passes where
// min <= a <= max, as PyTorch; an absent bound is no bound; min > max gives max everywhere, as PyTorch ---
Tensor clamp(const Tensor& a, const std::optional<Scalar>& min, const std::optional<Scalar>& max = std::nullopt);
Tensor clamp_min(const Tensor& a, const Scalar& min);
Tensor clamp_max(const Tensor& a, const Scalar& max);

// --- reductions (ops/reduce.cpp) ---
Tensor sum(const Tensor& a);                                      // () scalar
Tensor mean(const Tensor& a);
Tensor sum(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor mean(const Tensor& a, int64_t dim, bool keepdim = false);

// --- statistics (ops/statistics.cpp) ---
Tensor var(const Tensor& a, int64_t dim, bool unbiased = true, bool keepdim = false);  // unbiased: / (n - 1)
Tensor var(const Tensor& a);                                      // over all elements, unbiased
// std = sqrt(var), composed (no backward of its own); one element gives NaN, as PyTorch.
Tensor std(const Tensor& a);                                      // over all elements, unbiased
Tensor std(const Tensor& a, int64_t dim, bool unbiased = true, bool keepdim = false);
// The p-norm (sum |a|^p)^(1/p), composed of abs, pow, sum (p = inf: max |a|); over all elements or one dim.
Tensor norm(const Tensor& a, double p = 2);
Tensor norm(const Tensor& a, double p, int64_t dim, bool keepdim = false);

// --- running sums (ops/cumsum.cpp): y[..., i, ...] = a[..., 0, ...] + ... + a[..., i, ...] along dim.
// Integers and bool sum in int64, as PyTorch. da += the reversed running sum of dy ---
Tensor cumsum(const Tensor& a, int64_t dim);

// --- sorting (ops/sort.cpp): stable (ties keep their order, also descending), NaN sorted as the largest,
// as PyTorch; values are gather(a, dim, indices), so their gradient is gather's ---
std::tuple<Tensor, Tensor> sort(const Tensor& a, int64_t dim = -1, bool descending = false);  // (values, indices)
Tensor argsort(const Tensor& a, int64_t dim = -1, bool descending = false);

// --- min and max over everything, min and argmin over a dim (ops/minmax.cpp) ---
Tensor max(const Tensor& a);  // 0-d; NaN wins; the gradient is split evenly among tied maxima, as PyTorch 1.13
Tensor min(const Tensor& a);
std::tuple<Tensor, Tensor> min(const Tensor& a, int64_t dim, bool keepdim = false);  // (values, indices); values
                                                                 // gathered at indices: the gradient goes there
Tensor argmin(const Tensor& a, int64_t dim, bool keepdim = false);  // first index of the min (NaN counts as min)

// --- closeness (ops/closeness.cpp): whole-tensor answers, no gradient ---
// |a - b| <= atol + rtol |b| everywhere (a and b broadcast; equal infinities are close; NaN only with equal_nan).
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);
bool equal(const Tensor& a, const Tensor& b);  // same shape and equal values (NaN is not equal to itself)

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
Tensor mm(const Tensor& a, const Tensor& b);   // (M, K) x (K, N) only, as torch.mm
Tensor bmm(const Tensor& a, const Tensor& b);  // (B, M, K) x (B, K, N) only, as torch.bmm

// --- shape (ops/shape.cpp) ---
Tensor transpose(const Tensor& a, int64_t dim0, int64_t dim1);  // a view (tensor.h)
Tensor permute(const Tensor& a, const Shape& dims);             // a view
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);    // same shape except along dim
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);  // same shape; a new dim at dim
Tensor flatten(const Tensor& a, int64_t start_dim = 0, int64_t end_dim = -1);  // dims start..end as one (reshape)
Tensor one_hot(const Tensor& ids, int64_t num_classes = -1);    // int ids (...) -> int64 (..., num_classes);
                                                                 // -1: max(ids) + 1, as PyTorch

// --- softmax (ops/softmax.cpp): over any dim, numerically stable ---
Tensor softmax(const Tensor& a, int64_t dim = -1);
Tensor log_softmax(const Tensor& a, int64_t dim = -1);

// --- comparisons and masks (ops/compare.cpp): comparisons broadcast and return kBool (no gradient) ---
// A number on the right side (a Scalar, scalar.h) keeps what it was written as, which decides the comparison's
// dtype as PyTorch's promotion does: an int64 tensor against an integer compares int64 values exactly
// (ids == 16777217), against a floating-point number in the promoted floating dtype.
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
Tensor operator==(const Tensor& a, const Scalar& s);
Tensor operator!=(const Tensor& a, const Scalar& s);
Tensor operator<(const Tensor& a, const Scalar& s);
Tensor operator<=(const Tensor& a, const Scalar& s);
Tensor operator>(const Tensor& a, const Scalar& s);
Tensor operator>=(const Tensor& a, const Scalar& s);
Tensor tril(const Tensor& a, int64_t k = 0);  // (..., M, N): keeps j - i <= k, zeroes the rest
Tensor triu(const Tensor& a, int64_t k = 0);  // keeps j - i >= k
Tensor masked_fill(const Tensor& a, const Tensor& mask, const Scalar& value);  // mask kBool, broadcastable to a
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);    // cond kBool; all three broadcast, a and b promoted

// --- picking and placing by index (ops/index.cpp); the indexing of x.index({...}) is in indexing.h ---
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);  // index 1-D int64/int32, no negatives
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);        // index as many dims as x
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor masked_select(const Tensor& x, const Tensor& mask);               // 1-D, row-major order

}  // namespace microtorch
