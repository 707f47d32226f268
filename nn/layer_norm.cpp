// F::layer_norm and nn::LayerNorm. x is seen as N rows of M = prod(normalized_shape) contiguous values; each row
// gets its mean and biased variance (two passes, summed in double: no cancellation for rows with a large mean),
// y = (x - mean) * rstd * w + b with rstd = 1 / sqrt(var + eps). The forward keeps mean and rstd per row (2N
// floats); the backward rebuilds x_hat from x. float64 is composed from core ops (mean, sub, mul, rsqrt and
// their backwards); float16/bfloat16 run the float32 path and round back. x, weight and bias share one dtype.
#include "layer_norm.h"

#include <cmath>

#include "../core/autograd.h"
#include "../core/grad.h"
#include "../core/kernels/parallel.h"
#include "../core/kernels/layer_norm_rows.h"
#include "../core/ops.h"
#include "init.h"
#include "internal/dtypes.h"

namespace microtorch::nn {
namespace functional {

static void check_layer_norm(const Tensor& x, const LayerNormFuncOptions& o) {
  const Shape& ns = o.normalized_shape();
  internal::check_floating("layer_norm", "input", x);
  if (ns.empty()) throw std::invalid_argument("layer_norm: normalized_shape must name at least one dim, got []");
  const bool fits = x.dim() >= static_cast<int64_t>(ns.size()) && Shape(x.shape().end() - ns.size(), x.shape().end()) == ns;
  if (!fits)
    throw std::invalid_argument("layer_norm: input of shape " + shape_str(x.shape()) + " must end in normalized_shape " +
                                shape_str(ns));
  for (const auto& [what, t] : {std::pair<const char*, const Tensor&>{"weight", o.weight()}, {"bias", o.bias()}})
    if (t.defined() && t.shape() != ns)
      throw std::invalid_argument(std::string("layer_norm: ") + what + " must have normalized_shape " +
                                  shape_str(ns) + ", got " + dtype_name(t.dtype()) + " of shape " + shape_str(t.shape()));
  internal::check_same_dtype("layer_norm", "weight", o.weight(), x.dtype());
  internal::check_same_dtype("layer_norm", "bias", o.bias(), x.dtype());
  if (!(o.eps() >= 0.0) || !std::isfinite(o.eps()))
    throw std::invalid_argument("layer_norm: eps must be finite and >= 0, got " + std::to_string(o.eps()));
}

constexpr int64_t kRowsPerChunk = 64;  // rows whose weight and bias gradients one partial sums

// The (M) float tensor of shape `shape` whose j-th value is part[0, j] + part[1, j] + ..., part (chunks, M).
static Tensor chunk_total(const std::vector<double>& part, int64_t M, const Shape& shape) {
  std::vector<double> total(static_cast<size_t>(M), 0.0);
  for (size_t k = 0; k < part.size(); k += static_cast<size_t>(M))
    for (int64_t j = 0; j < M; ++j) total[j] += part[k + j];
  return tensor(std::vector<float>(total.begin(), total.end()), shape);
}

// The float64 path: x seen as (N, M) rows, y = (x - mean) * rsqrt(biased var + eps) * w + b, composed.
static Tensor layer_norm_composed(const Tensor& x, const LayerNormFuncOptions& o) {
  const int64_t M = shape_numel(o.normalized_shape()), N = M == 0 ? 0 : x.numel() / M;
  const Tensor rows = x.reshape({N, M});
  const Tensor centred = rows - rows.mean(1, true);
  const Tensor var = (centred * centred).mean(1, true);  // biased, as PyTorch's layer_norm
  Tensor y = (centred * rsqrt(var + o.eps())).reshape(x.shape());
  if (o.weight().defined()) y = y * o.weight();
  if (o.bias().defined()) y = y + o.bias();
  return y;
}

// y = x_hat * w + b, x_hat = (x - mean) * rstd per row.
// dx = rstd * (g - mean(g) - x_hat * mean(g * x_hat)) with g = dy * w; dw += sum_rows dy * x_hat; db += sum_rows dy.
Tensor layer_norm(const Tensor& x_in, const LayerNormFuncOptions& o) {
  check_layer_norm(x_in, o);
  if (internal::is_half_kind(x_in.dtype()))
    return layer_norm(x_in.to(kFloat32), LayerNormFuncOptions(o.normalized_shape())
                                             .weight(internal::to_float32(o.weight()))
                                             .bias(internal::to_float32(o.bias()))
                                             .eps(o.eps()))
        .to(x_in.dtype());
  if (x_in.dtype() == kFloat64) return layer_norm_composed(x_in, o);
  const Tensor x = x_in.contiguous();
  const Tensor w = o.weight().defined() ? o.weight().contiguous() : Tensor(), b = o.bias().defined() ? o.bias().contiguous() : Tensor();
  const int64_t M = shape_numel(o.normalized_shape()), N = M == 0 ? 0 : x.numel() / M;
  const float eps = static_cast<float>(o.eps());
  Tensor y = empty(x.shape());
  std::vector<float> mean(static_cast<size_t>(N)), rstd(static_cast<size_t>(N));
  const float* wp = w.defined() ? w.data_ptr<float>() : nullptr;
  const float* bp = b.defined() ? b.data_ptr<float>() : nullptr;
  const float* xp = x.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  const int64_t grain = std::max<int64_t>(1, kernels::kGrain / std::max<int64_t>(M, 1));
  kernels::parallel_for(0, N, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t n = lo; n < hi; ++n)  // row n: (M) values in, (M) out, its mean and rstd
      kernels::layer_norm_row(xp + n * M, wp, bp, M, eps, yp + n * M, &mean[n], &rstd[n]);
  });

  record(y, "layer_norm", {x, w, b}, [x, w, b, N, M, mean = std::move(mean), rstd = std::move(rstd)](const Tensor& dy) {
    const float* wp = w.defined() ? w.data_ptr<float>() : nullptr;
    const bool want_dw = w.defined() && w.requires_grad(), want_db = b.defined() && b.requires_grad();
    Tensor dx = x.requires_grad() ? empty(x.shape()) : Tensor();
    // Rows in fixed chunks of kRowsPerChunk, each with its own dw and db partials (double), added in chunk
    // order after: the threads split the chunks, so the floats are the same for every thread count.
    const int64_t chunks = (N + kRowsPerChunk - 1) / kRowsPerChunk;
    std::vector<double> dw_part(want_dw ? chunks * M : 0), db_part(want_db ? chunks * M : 0);  // (chunks, M)
    const int64_t grain = std::max<int64_t>(1, kernels::kGrain / (kRowsPerChunk * std::max<int64_t>(M, 1)));
    kernels::parallel_for(0, chunks, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t k = lo; k < hi; ++k)
        for (int64_t n = k * kRowsPerChunk; n < std::min(N, (k + 1) * kRowsPerChunk); ++n)  // row n of x, dy, dx
          kernels::layer_norm_row_backward(x.data_ptr<float>() + n * M, dy.data_ptr<float>() + n * M, wp, mean[n],
                                          rstd[n], M, want_dw ? dw_part.data() + k * M : nullptr,
                                          want_db ? db_part.data() + k * M : nullptr,
                                          dx.defined() ? dx.data_ptr<float>() + n * M : nullptr);
    });
    if (dx.defined()) accumulate_grad(x, dx);
    if (want_dw) accumulate_grad(w, chunk_total(dw_part, M, w.shape()));
    if (want_db) accumulate_grad(b, chunk_total(db_part, M, b.shape()));
  });
  return y;
}

}  // namespace functional

static const LayerNormOptions& checked(const LayerNormOptions& o) {
  for (int64_t d : o.normalized_shape())
    if (d < 1)
      throw std::invalid_argument("LayerNorm: every dim of normalized_shape must be >= 1, got " +
                                  shape_str(o.normalized_shape()));
  if (o.normalized_shape().empty()) throw std::invalid_argument("LayerNorm: normalized_shape must name at least one dim, got []");
  if (!(o.eps() >= 0.0) || !std::isfinite(o.eps()))
    throw std::invalid_argument("LayerNorm: eps must be finite and >= 0, got " + std::to_string(o.eps()));
  return o;
}

LayerNorm::LayerNorm(const LayerNormOptions& o)
    : weight(register_optional_parameter_("weight",
                                          checked(o).elementwise_affine() ? empty(o.normalized_shape()) : Tensor())),
      bias(register_optional_parameter_("bias",
                                        o.elementwise_affine() && o.bias() ? empty(o.normalized_shape()) : Tensor())),
      options_(o) {
  reset();
}

LayerNorm& LayerNorm::operator=(const LayerNorm& other) {
  Module::operator=(other);
  options_ = other.options_;
  return *this;
}

void LayerNorm::reset() {
  if (weight.defined()) init::ones_(weight);
  if (bias.defined()) init::zeros_(bias);
}

Tensor LayerNorm::forward(const Tensor& x) {
  return functional::layer_norm(
      x, functional::LayerNormFuncOptions(options_.normalized_shape()).weight(weight).bias(bias).eps(options_.eps()));
}

}  // namespace microtorch::nn
