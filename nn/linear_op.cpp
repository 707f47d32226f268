// F::linear: y (R, out) = x (R, in) W^T + b as one SGEMM with the bias preloaded (beta = 1), as addmm.
// Backward: dx = dy W, dW = dy^T x, db = column sums of dy. No transposed copies: GEMM flags.
#include <cstring>

#include "../core/autograd.h"
#include "../core/kernels/gemm.h"
#include "../core/grad.h"
#include "functional.h"

namespace microtorch::nn::functional {

// Each argument's dtype first, so a fault names the op, the argument and the dtype.
static void check_float32(const char* arg, const Tensor& t) {
  if (!t.defined()) throw std::invalid_argument(std::string("linear: ") + arg + " is undefined");
  if (t.dtype() != kFloat32)
    throw std::invalid_argument(std::string("linear: ") + arg + " must be float32, got " + dtype_name(t.dtype()) +
                                " of shape " + shape_str(t.shape()));
}

Tensor linear(const Tensor& x_in, const Tensor& weight_in, const Tensor& bias_in) {
  check_float32("input", x_in);
  check_float32("weight", weight_in);
  if (bias_in.defined()) check_float32("bias", bias_in);
  const Tensor x = x_in.contiguous(), weight = weight_in.contiguous();  // row-major for the SGEMM
  const Tensor bias = bias_in.defined() ? bias_in.contiguous() : bias_in;
  if (weight.dim() != 2)
    throw std::invalid_argument("linear: weight must be a 2-D float32 (out, in) matrix, got shape " + shape_str(weight.shape()));
  const int64_t out_f = weight.shape()[0], in_f = weight.shape()[1];
  if (x.dim() < 1 || x.shape().back() != in_f)
    throw std::invalid_argument("linear: input of shape " + shape_str(x.shape()) + " must end in in_features = " +
                                std::to_string(in_f) + " (weight shape " + shape_str(weight.shape()) + ")");
  if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != out_f))
    throw std::invalid_argument("linear: bias of shape " + shape_str(bias.shape()) + " must be [" + std::to_string(out_f) + "]");
  Shape y_shape(x.shape().begin(), x.shape().end() - 1);
  const int64_t R = shape_numel(y_shape);
  y_shape.push_back(out_f);
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
