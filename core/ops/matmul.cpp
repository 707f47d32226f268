// matmul (mm, bmm: its 2-D and 3-D forms): (..., M, K) x (K, N) through one SGEMM over all leading rows; (..., M,
// K) x (..., K, N) with broadcast batch dims as one SGEMM per output matrix. Operands are read where they are: a
// matrix whose rows or columns step by one element (a transpose, a head inside a wider tensor) is handed to the
// SGEMM with its row stride and a transposition flag, so only a matrix with neither gets a contiguous copy.
// Backward is two more SGEMMs each, transposed by flag, not by copy.
#include "../autograd.h"
#include "../grad.h"
#include "../kernels/gemm.h"
#include "../ops.h"
#include "broadcast.h"
#include "views.h"
#include "xt.h"

namespace microtorch {

namespace {

using kernels::MatrixOf;

// The matrix of t's last two dims starting `offset` elements past t's first element.
template <class T> MatrixOf<T> matrix(const Tensor& t, int64_t offset = 0) {
  const int64_t n = t.dim();
  return {t.data_ptr<T>() + offset, t.shape()[n - 2], t.shape()[n - 1], t.strides()[n - 2], t.strides()[n - 1]};
}
// A packed row-major (rows, cols) matrix at p.
template <class T> MatrixOf<T> packed(const T* p, int64_t rows, int64_t cols) { return {const_cast<T*>(p), rows, cols, cols, 1}; }

// t itself when the SGEMM can read its matrices in place, else its contiguous copy.
Tensor readable(const Tensor& t) {
  const int64_t n = t.dim();
  const MatrixOf<float> shape_only{nullptr, t.shape()[n - 2], t.shape()[n - 1], t.strides()[n - 2], t.strides()[n - 1]};
  return shape_only.readable() ? t : t.contiguous();
}

// y (R, N) = a (R, K) b (K, N), R = all of a's leading dims: one SGEMM. da += dy b^T, db += a^T dy.
template <class T> Tensor matmul_folded(const Tensor& a_in, const Tensor& b_in) {
  const int64_t K = a_in.shape().back(), N = b_in.shape()[1];
  Shape out_shape(a_in.shape().begin(), a_in.shape().end() - 1);
  const int64_t R = shape_numel(out_shape);
  out_shape.push_back(N);
  Tensor a2, b;
  {
    NoGradGuard off;  // the (R, K) view a's rows are read through (a copy when they cannot be folded)
    a2 = readable(a_in.reshape({R, K}));
    b = readable(b_in);
  }
  Tensor y = empty(out_shape, a_in.dtype());
  kernels::gemm(false, matrix<T>(a2), false, matrix<T>(b), 1, 0, packed(y.data_ptr<T>(), R, N));
  const Tensor a = a_in;
  record(y, "matmul", {a, b_in}, [a, a2, b, b_in, R, N, K](const Tensor& dy) {
    const MatrixOf<T> g = packed(dy.data_ptr<T>(), R, N);
    if (a.requires_grad()) {
      Tensor da = empty(a.shape(), a.dtype());
      kernels::gemm(false, g, true, matrix<T>(b), 1, 0, packed(da.data_ptr<T>(), R, K));
      accumulate_grad(a, da);
    }
    if (b_in.requires_grad()) {
      Tensor db = empty(b.shape(), b.dtype());
      kernels::gemm(true, matrix<T>(a2), false, g, 1, 0, packed(db.data_ptr<T>(), K, N));
      accumulate_grad(b_in, db);
    }
  });
  return y;
}

// Strides (in elements) of the batch dims (all but the last two) of a tensor of (shape, strides) aligned to
// `batch`, 0 where it broadcasts.
std::vector<int64_t> batch_strides(const Shape& shape, const Shape& strides, const Shape& batch) {
  const size_t own = shape.size() - 2;
  std::vector<int64_t> s(batch.size(), 0);
  for (size_t i = 0; i < own; ++i) s[batch.size() - own + i] = shape[i] == 1 ? 0 : strides[i];
  return s;
}

// y (batch, M, N) = a (batch_a, M, K) b (batch_b, K, N), batch = broadcast(batch_a, batch_b): one SGEMM per
// output matrix, a's and b's matrices found through their batch strides. Backward: per output matrix,
// da_i += dy_i b_i^T and db_i += a_i^T dy_i, SGEMM with beta = 1 so the matrices a batch dim broadcast are
// summed in place, into zeroed buffers.
template <class T> Tensor matmul_batched(const Tensor& a_in, const Tensor& b_in) {
  Tensor a, b;
  {
    NoGradGuard off;
    a = readable(a_in);
    b = readable(b_in);
  }
  const int64_t M = a.shape()[a.dim() - 2], K = a.shape().back(), N = b.shape().back();
  const Shape batch = detail::broadcast_shapes("matmul (batch dims)", {Shape(a.shape().begin(), a.shape().end() - 2),
                                                                       Shape(b.shape().begin(), b.shape().end() - 2)});
  const std::array<std::vector<int64_t>, 2> strides{batch_strides(a.shape(), a.strides(), batch),
                                                    batch_strides(b.shape(), b.strides(), batch)};
  Shape out_shape = batch;
  out_shape.push_back(M);
  out_shape.push_back(N);
  Tensor y = empty(out_shape, a.dtype());
  T* py = y.data_ptr<T>();
  detail::for_each_broadcast(batch, strides, [&](int64_t i, const std::array<int64_t, 2>& m) {
    kernels::gemm(false, matrix<T>(a, m[0]), false, matrix<T>(b, m[1]), 1, 0, packed(py + i * M * N, M, N));  // matrix i
  });
  record(y, "matmul", {a_in, b_in}, [a_in, b_in, a, b, batch, strides, M, N, K](const Tensor& dy) {
    const bool da_on = a_in.requires_grad(), db_on = b_in.requires_grad();
    const Tensor da = da_on ? zeros(a.shape(), a.dtype()) : Tensor(), db = db_on ? zeros(b.shape(), b.dtype()) : Tensor();
    const std::array<std::vector<int64_t>, 4> all{
        strides[0], strides[1], batch_strides(a.shape(), detail::contiguous_strides(a.shape()), batch),
        batch_strides(b.shape(), detail::contiguous_strides(b.shape()), batch)};
    const T* g = dy.data_ptr<T>();
    detail::for_each_broadcast(batch, all, [&](int64_t i, const std::array<int64_t, 4>& m) {
      const MatrixOf<T> gi = packed(g + i * M * N, M, N);
      if (da_on) kernels::gemm(false, gi, true, matrix<T>(b, m[1]), 1, 1, packed(da.data_ptr<T>() + m[2], M, K));
      if (db_on) kernels::gemm(true, matrix<T>(a, m[0]), false, gi, 1, 1, packed(db.data_ptr<T>() + m[3], K, N));
    });
    if (da_on) accumulate_grad(a_in, da);
    if (db_on) accumulate_grad(b_in, db);
  });
  return y;
}

}  // namespace

// As torch.matmul: a 1-D a is a row (1, K) and a 1-D b a column (K, 1), each added dim dropped from the
// result; a 2-D b is applied to all of a's rows at once; otherwise the batch dims broadcast.
// float32 and float64 multiply natively (both operands of one dtype, as PyTorch asks); float16 and bfloat16
// in float32, the result rounded back.
Tensor matmul(const Tensor& a, const Tensor& b) {
  detail::check_floating("matmul", a);
  if (a.dtype() != b.dtype())
    throw std::invalid_argument("matmul: both operands must have one dtype, got " + dtype_name(a.dtype()) + " and " +
                                dtype_name(b.dtype()) + " (cast one with to())");
  if (a.dtype() == kFloat16 || a.dtype() == kBFloat16) return matmul(a.to(kFloat32), b.to(kFloat32)).to(a.dtype());
  const bool f64 = a.dtype() == kFloat64;
  auto folded = [f64](const Tensor& x, const Tensor& y) { return f64 ? matmul_folded<double>(x, y) : matmul_folded<float>(x, y); };
  auto batched = [f64](const Tensor& x, const Tensor& y) { return f64 ? matmul_batched<double>(x, y) : matmul_batched<float>(x, y); };
  const int64_t Ka = a.dim() >= 1 ? a.shape().back() : -1;
  const int64_t Kb = b.dim() == 1 ? b.shape()[0] : b.dim() >= 2 ? b.shape()[b.dim() - 2] : -2;
  if (a.dim() < 1 || b.dim() < 1 || Ka != Kb)
    throw std::invalid_argument("matmul: shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()) +
                                " cannot be multiplied (expected (..., M, K) x (..., K, N), (..., K) x (K) or "
                                "(K) x (..., K, N), both at least 1-d)");
  if (a.dim() >= 2 && b.dim() == 2) return folded(a, b);
  if (a.dim() >= 2 && b.dim() >= 2) return batched(a, b);
  if (b.dim() == 1 && a.dim() >= 2) {  // (..., K) x (K)
    const Tensor y = folded(a, b.unsqueeze(1));
    return detail::reshaped_result(y, y.squeeze(-1).shape());
  }
  // a is 1-D: (1, K) x b, then the row dim dropped (and b's column dim when b is 1-D too)
  const Tensor b2 = b.dim() == 1 ? b.unsqueeze(1) : b;
  Tensor y = b2.dim() == 2 ? folded(a.unsqueeze(0), b2) : batched(a.unsqueeze(0), b2);
  Shape s = y.shape();
  s.erase(s.end() - 2);
  if (b.dim() == 1) s.pop_back();
  return detail::reshaped_result(y, s);
}

// mm and bmm: matmul restricted to the shapes torch.mm and torch.bmm accept (no broadcasting, no 1-D).
Tensor mm(const Tensor& a, const Tensor& b) {
  if (!a.defined() || !b.defined() || a.dim() != 2 || b.dim() != 2)
    throw std::invalid_argument("mm: expected two 2-D tensors, got shapes " + (a.defined() ? shape_str(a.shape()) : "undefined") +
                                " and " + (b.defined() ? shape_str(b.shape()) : "undefined"));
  return matmul(a, b);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  if (!a.defined() || !b.defined() || a.dim() != 3 || b.dim() != 3 || a.shape()[0] != b.shape()[0])
    throw std::invalid_argument("bmm: expected two 3-D tensors with one batch size, got shapes " +
                                (a.defined() ? shape_str(a.shape()) : "undefined") + " and " +
                                (b.defined() ? shape_str(b.shape()) : "undefined"));
  return matmul(a, b);
}

}  // namespace microtorch
