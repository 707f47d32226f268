// F::linear: y (R, out) = x (R, in) W^T + b as one SGEMM with the bias preloaded (beta = 1), as addmm.
// Backward: dx = dy W, dW = dy^T x, db = column sums of dy. No transposed copies: GEMM flags.
// float64 is composed (matmul and add, their backwards); float16/bfloat16 run the float32 path and round back.
// The three must share one dtype (PyTorch refuses mixed ones).
#include <cstring>

#include "../core/autograd.h"
#include "../core/kernels/gemm.h"
#include "../core/grad.h"
#include "../core/ops.h"
#include "functional.h"
#include "internal/dtypes.h"

namespace microtorch::nn::functional {

Tensor linear(const Tensor& x_in, const Tensor& weight_in, const Tensor& bias_in) {
  // Each argument's dtype first, so a fault names the op, the argument and the dtype.
  internal::check_floating("linear", "input", x_in);
  internal::check_floating("linear", "weight", weight_in);
  if (bias_in.defined()) internal::check_floating("linear", "bias", bias_in);
  internal::check_same_dtype("linear", "weight", weight_in, x_in.dtype());
  internal::check_same_dtype("linear", "bias", bias_in, x_in.dtype());
  const Tensor x = x_in.contiguous(), weight = weight_in.contiguous();  // row-major for the SGEMM
  const Tensor bias = bias_in.defined() ? bias_in.contiguous() : bias_in;
  if (weight.dim() != 2)
    throw std::invalid_argument("linear: weight must be a 2-D (out, in) matrix, got shape " + shape_str(weight.shape()));
  const int64_t out_f = weight.shape()[0], in_f = weight.shape()[1];
  if (x.dim() < 1 || x.shape().back() != in_f)
    throw std::invalid_argument("linear: input of shape " + shape_str(x.shape()) + " must end in in_features = " +
                                std::to_string(in_f) + " (weight shape " + shape_str(weight.shape()) + ")");
  if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != out_f))
    throw std::invalid_argument("linear: bias of shape " + shape_str(bias.shape()) + " must be [" + std::to_string(out_f) + "]");
  if (internal::is_half_kind(x.dtype()))
    return linear(x.to(kFloat32), weight.to(kFloat32), internal::to_float32(bias)).to(x.dtype());
  if (x.dtype() == kFloat64) {
    const Tensor y = matmul(x, weight.t());  // (..., out)
    return bias.defined() ? y + bias : y;
  }
  Shape y_shape = x.shape();  // (..., in) -> (..., out)
  y_shape.back() = out_f;
  int64_t R = 1;  // rows: the product of x's leading dims (their numel fits: x's does)
  for (size_t d = 0; d + 1 < x.shape().size(); ++d) R *= x.shape()[d];
  Tensor y = empty(y_shape);
  float* yp = y.data_ptr<float>();
  if (bias.defined())
    for (int64_t r = 0; r < R; ++r) std::memcpy(yp + r * out_f, bias.data_ptr<float>(), sizeof(float) * out_f);
  kernels::gemm(false, true, R, out_f, in_f, 1.0f, x.data_ptr<float>(), weight.data_ptr<float>(), bias.defined() ? 1.0f : 0.0f, yp);

  record(y, "linear", {x, weight, bias}, [x, weight, bias, R, in_f, out_f](const Tensor& dy) {
    const float* g = dy.data_ptr<float>();  // (R, out)
    if (x.requires_grad()) {
      Tensor dx = empty(x.shape());  // (R, in) = dy (R, out) W (out, in)
      kernels::gemm(false, false, R, in_f, out_f, 1.0f, g, weight.data_ptr<float>(), 0.0f, dx.data_ptr<float>());
      accumulate_grad(x, dx);
    }
    if (weight.requires_grad()) {
      Tensor dw = empty(weight.shape());  // (out, in) = dy^T (out, R) x (R, in)
      kernels::gemm(true, false, out_f, in_f, R, 1.0f, g, x.data_ptr<float>(), 0.0f, dw.data_ptr<float>());
      accumulate_grad(weight, dw);
    }
    if (bias.defined() && bias.requires_grad()) {
      Tensor db = zeros(bias.shape());  // (out) = sum over rows of dy
      float* d = db.data_ptr<float>();
      for (int64_t r = 0; r < R; ++r)
        for (int64_t j = 0; j < out_f; ++j) d[j] += g[r * out_f + j];
      accumulate_grad(bias, db);
    }
  });
  return y;
}

}  // namespace microtorch::nn::functional
