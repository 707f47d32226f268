// matmul: (..., M, K) x (K, N) through one SGEMM over all leading rows; (..., M, K) x (..., K, N) with broadcast
// batch dims as one SGEMM per output matrix. Backward is two more SGEMMs each, transposed by flag, not by copy.
#include "../autograd.h"
#include "../kernels/gemm.h"
#include "../grad.h"
#include "../ops.h"
#include "broadcast.h"
#include "xt.h"

namespace microtorch {

// y (R, N) = a (R, K) b (K, N), R = all of a's leading dims: one SGEMM. da += dy b^T, db += a^T dy.
static Tensor matmul_folded(const Tensor& a, const Tensor& b) {
  const int64_t K = a.shape().back(), N = b.shape()[1];
  Shape out_shape(a.shape().begin(), a.shape().end() - 1);
  const int64_t R = shape_numel(out_shape);
  out_shape.push_back(N);
  Tensor y = empty(out_shape);
  kernels::gemm(false, false, R, N, K, 1.0f, a.data_ptr<float>(), b.data_ptr<float>(), 0.0f, y.data_ptr<float>());
  record(y, "matmul", {a, b}, [a, b, R, N, K](const Tensor& dy) {
    if (a.requires_grad()) {
      Tensor da = empty(a.shape());
      kernels::gemm(false, true, R, K, N, 1.0f, dy.data_ptr<float>(), b.data_ptr<float>(), 0.0f, da.data_ptr<float>());
      accumulate_grad(a, da);
    }
    if (b.requires_grad()) {
      Tensor db = empty(b.shape());
      kernels::gemm(true, false, K, N, R, 1.0f, a.data_ptr<float>(), dy.data_ptr<float>(), 0.0f, db.data_ptr<float>());
      accumulate_grad(b, db);
    }
  });
  return y;
}

// y (batch, M, N) = a (batch_a, M, K) b (batch_b, K, N), batch = broadcast(batch_a, batch_b): one SGEMM per
// output matrix, reading a's and b's matrices through broadcast strides (counted in matrices). Backward: per
// output matrix, da_i += dy_i b_i^T and db_i += a_i^T dy_i, SGEMM with beta = 1 so the matrices a batch dim
// broadcast are summed in place, into zeroed buffers.
static Tensor matmul_batched(const Tensor& a, const Tensor& b) {
  const int64_t M = a.shape()[a.dim() - 2], K = a.shape().back(), N = b.shape().back();
  const Shape batch_a(a.shape().begin(), a.shape().end() - 2), batch_b(b.shape().begin(), b.shape().end() - 2);
  Shape batch = detail::broadcast_shapes("matmul (batch dims)", {batch_a, batch_b});
  const std::array<std::vector<int64_t>, 2> strides{detail::broadcast_strides(batch_a, batch),
                                                    detail::broadcast_strides(batch_b, batch)};
  Shape out_shape = batch;
  out_shape.push_back(M);
  out_shape.push_back(N);
  Tensor y = empty(out_shape);
  {
    const float *pa = a.data_ptr<float>(), *pb = b.data_ptr<float>();
    float* py = y.data_ptr<float>();
    detail::for_each_broadcast(batch, strides, [&](int64_t i, const std::array<int64_t, 2>& m) {
      kernels::gemm(false, false, M, N, K, 1.0f, pa + m[0] * M * K, pb + m[1] * K * N, 0.0f, py + i * M * N);  // matrix i
    });
  }
  record(y, "matmul", {a, b}, [a, b, batch, strides, M, N, K](const Tensor& dy) {
    Tensor da = a.requires_grad() ? zeros(a.shape()) : Tensor();
    Tensor db = b.requires_grad() ? zeros(b.shape()) : Tensor();
    const float *pa = a.data_ptr<float>(), *pb = b.data_ptr<float>(), *g = dy.data_ptr<float>();
    detail::for_each_broadcast(batch, strides, [&](int64_t i, const std::array<int64_t, 2>& m) {
      if (da.defined())
        kernels::gemm(false, true, M, K, N, 1.0f, g + i * M * N, pb + m[1] * K * N, 1.0f, da.data_ptr<float>() + m[0] * M * K);
      if (db.defined())
        kernels::gemm(true, false, K, N, M, 1.0f, pa + m[0] * M * K, g + i * M * N, 1.0f, db.data_ptr<float>() + m[1] * K * N);
    });
    if (da.defined()) accumulate_grad(a, da);
    if (db.defined()) accumulate_grad(b, db);
  });
  return y;
}

// As torch.matmul: a 1-D a is a row (1, K) and a 1-D b a column (K, 1), each added dim dropped from the
// result; a 2-D b is applied to all of a's rows at once; otherwise the batch dims broadcast.
Tensor matmul(const Tensor& a, const Tensor& b) {
  detail::check_float("matmul", a);
  detail::check_float("matmul", b);
  const int64_t Ka = a.dim() >= 1 ? a.shape().back() : -1;
  const int64_t Kb = b.dim() == 1 ? b.shape()[0] : b.dim() >= 2 ? b.shape()[b.dim() - 2] : -2;
  if (a.dim() < 1 || b.dim() < 1 || Ka != Kb)
    throw std::invalid_argument("matmul: shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()) +
                                " cannot be multiplied (expected (..., M, K) x (..., K, N), (..., K) x (K) or "
                                "(K) x (..., K, N), both at least 1-d)");
  if (a.dim() >= 2 && b.dim() == 2) return matmul_folded(a, b);
  if (a.dim() >= 2 && b.dim() >= 2) return matmul_batched(a, b);
  if (b.dim() == 1 && a.dim() >= 2) return matmul_folded(a, b.unsqueeze(1)).squeeze(-1);  // (..., K) x (K)
  // a is 1-D: (1, K) x b, then the row dim dropped (and b's column dim when b is 1-D too)
  const Tensor b2 = b.dim() == 1 ? b.unsqueeze(1) : b;
  Tensor y = b2.dim() == 2 ? matmul_folded(a.unsqueeze(0), b2) : matmul_batched(a.unsqueeze(0), b2);
  Shape s = y.shape();
  s.erase(s.end() - 2);
  if (b.dim() == 1) s.pop_back();
  return y.view(s);
}

}  // namespace microtorch
