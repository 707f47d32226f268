// The member forms of the functional ops (x.exp(), x.softmax(-1), x.matmul(y), ...), as libtorch has them:
// each forwards to its function in ops.h, where the op and its backward live.
#include "../ops.h"

namespace microtorch {

Tensor Tensor::add(const Tensor& other) const { return microtorch::add(*this, other); }
Tensor Tensor::sub(const Tensor& other) const { return microtorch::sub(*this, other); }
Tensor Tensor::mul(const Tensor& other) const { return microtorch::mul(*this, other); }
Tensor Tensor::div(const Tensor& other) const { return microtorch::div(*this, other); }
Tensor Tensor::neg() const { return microtorch::neg(*this); }
Tensor Tensor::exp() const { return microtorch::exp(*this); }
Tensor Tensor::log() const { return microtorch::log(*this); }
Tensor Tensor::tanh() const { return microtorch::tanh(*this); }
Tensor Tensor::sigmoid() const { return microtorch::sigmoid(*this); }
Tensor Tensor::relu() const { return microtorch::relu(*this); }
Tensor Tensor::sqrt() const { return microtorch::sqrt(*this); }
Tensor Tensor::rsqrt() const { return microtorch::rsqrt(*this); }
Tensor Tensor::abs() const { return microtorch::abs(*this); }
Tensor Tensor::pow(double exponent) const { return microtorch::pow(*this, exponent); }
Tensor Tensor::softmax(int64_t dim) const { return microtorch::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return microtorch::log_softmax(*this, dim); }
Tensor Tensor::matmul(const Tensor& other) const { return microtorch::matmul(*this, other); }
Tensor Tensor::mm(const Tensor& other) const { return microtorch::mm(*this, other); }
Tensor Tensor::eq(const Tensor& other) const { return microtorch::eq(*this, other); }
Tensor Tensor::ne(const Tensor& other) const { return microtorch::ne(*this, other); }
Tensor Tensor::lt(const Tensor& other) const { return microtorch::lt(*this, other); }
Tensor Tensor::le(const Tensor& other) const { return microtorch::le(*this, other); }
Tensor Tensor::gt(const Tensor& other) const { return microtorch::gt(*this, other); }
Tensor Tensor::ge(const Tensor& other) const { return microtorch::ge(*this, other); }
Tensor Tensor::tril(int64_t k) const { return microtorch::tril(*this, k); }
Tensor Tensor::triu(int64_t k) const { return microtorch::triu(*this, k); }
Tensor Tensor::where(const Tensor& condition, const Tensor& other) const {
  return microtorch::where(condition, *this, other);
}
Tensor Tensor::argmax(int64_t dim, bool keepdim) const { return microtorch::argmax(*this, dim, keepdim); }
Tensor Tensor::argmin(int64_t dim, bool keepdim) const { return microtorch::argmin(*this, dim, keepdim); }
Tensor Tensor::max() const { return microtorch::max(*this); }
Tensor Tensor::min() const { return microtorch::min(*this); }
std::tuple<Tensor, Tensor> Tensor::max(int64_t dim, bool keepdim) const { return microtorch::max(*this, dim, keepdim); }
std::tuple<Tensor, Tensor> Tensor::min(int64_t dim, bool keepdim) const { return microtorch::min(*this, dim, keepdim); }
std::tuple<Tensor, Tensor> Tensor::topk(int64_t k, int64_t dim) const { return microtorch::topk(*this, k, dim); }
std::tuple<Tensor, Tensor> Tensor::sort(int64_t dim, bool descending) const {
  return microtorch::sort(*this, dim, descending);
}
Tensor Tensor::argsort(int64_t dim, bool descending) const { return microtorch::argsort(*this, dim, descending); }
Tensor Tensor::cumsum(int64_t dim) const { return microtorch::cumsum(*this, dim); }
Tensor Tensor::clamp(const std::optional<Scalar>& min, const std::optional<Scalar>& max) const {
  return microtorch::clamp(*this, min, max);
}
Tensor Tensor::clamp_min(const Scalar& min) const { return microtorch::clamp_min(*this, min); }
Tensor Tensor::clamp_max(const Scalar& max) const { return microtorch::clamp_max(*this, max); }
Tensor Tensor::norm(double p) const { return microtorch::norm(*this, p); }
Tensor Tensor::norm(double p, int64_t dim, bool keepdim) const { return microtorch::norm(*this, p, dim, keepdim); }
Tensor Tensor::var() const { return microtorch::var(*this); }
Tensor Tensor::std() const { return microtorch::std(*this); }
Tensor Tensor::std(int64_t dim, bool unbiased, bool keepdim) const { return microtorch::std(*this, dim, unbiased, keepdim); }
Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const { return microtorch::flatten(*this, start_dim, end_dim); }
bool Tensor::allclose(const Tensor& other, double rtol, double atol, bool equal_nan) const {
  return microtorch::allclose(*this, other, rtol, atol, equal_nan);
}
bool Tensor::equal(const Tensor& other) const { return microtorch::equal(*this, other); }

}  // namespace microtorch
