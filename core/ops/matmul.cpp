// matmul: (..., M, K) x (K, N) through one SGEMM over all leading rows; backward is two more SGEMMs.
#include <xtensor-blas/xblas.hpp>

#include "../autograd.h"
#include "../blas.h"
#include "../grad.h"
#include "../ops.h"
#include "xt.h"

namespace microtorch {

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, const float* B,
          float beta, float* C) {
  if (M == 0 || N == 0) return;
  if (K == 0) {  // an empty sum: C = beta * C
    for (int64_t i = 0; i < M * N; ++i) C[i] = beta == 0.0f ? 0.0f : beta * C[i];
    return;
  }
  using cxxblas::Transpose;
  cxxblas::gemm<int>(cxxblas::RowMajor, trans_a ? Transpose::Trans : Transpose::NoTrans,
                     trans_b ? Transpose::Trans : Transpose::NoTrans, static_cast<int>(M), static_cast<int>(N),
                     static_cast<int>(K), alpha, A, static_cast<int>(trans_a ? M : K), B,
                     static_cast<int>(trans_b ? K : N), beta, C, static_cast<int>(N));
}

// y (R, N) = a (R, K) b (K, N), R = all of a's leading dims. da += dy b^T, db += a^T dy.
Tensor matmul(const Tensor& a, const Tensor& b) {
  detail::check_float("matmul", a);
  detail::check_float("matmul", b);
  const int64_t K = a.dim() >= 1 ? a.shape().back() : -1;
  if (a.dim() < 1 || b.dim() < 1 || b.dim() > 2 || b.shape()[0] != K)
    throw std::invalid_argument("matmul: shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()) +
                                " cannot be multiplied (expected (..., K) x (K, N) or (..., K) x (K))");
  const int64_t N = b.dim() == 2 ? b.shape()[1] : 1;
  Shape out_shape(a.shape().begin(), a.shape().end() - 1);
  const int64_t R = shape_numel(out_shape);
  if (b.dim() == 2) out_shape.push_back(N);
  Tensor y = empty(out_shape);
  gemm(false, false, R, N, K, 1.0f, a.data_ptr<float>(), b.data_ptr<float>(), 0.0f, y.data_ptr<float>());
  record(y, "matmul", {a, b}, [a, b, R, N, K](const Tensor& dy) {
    if (a.requires_grad()) {
      Tensor da = empty(a.shape());
      gemm(false, true, R, K, N, 1.0f, dy.data_ptr<float>(), b.data_ptr<float>(), 0.0f, da.data_ptr<float>());
      accumulate_grad(a, da);
    }
    if (b.requires_grad()) {
      Tensor db = empty(b.shape());
      gemm(true, false, K, N, R, 1.0f, a.data_ptr<float>(), dy.data_ptr<float>(), 0.0f, db.data_ptr<float>());
      accumulate_grad(b, db);
    }
  });
  return y;
}

}  // namespace microtorch
