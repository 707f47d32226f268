// F::batch_norm and nn::BatchNorm1d (normalization.h). x (N, C, L) is seen channel by channel: channel c holds
// the N * L values x[n, c, l]. Its statistics are summed in double (PyTorch's accumulate type on the CPU): mean,
// then the sum of squared deviations; the forward keeps mean and invstd = 1 / sqrt(var + eps) per channel
// (2C floats) and the backward rebuilds x_hat = (x - mean) * invstd from x. The loops are templated on float and
// double; float16/bfloat16 are refused (the running statistics are written in place in the input's dtype).
#include "normalization.h"

#include <cmath>

#include "../core/autograd.h"
#include "../core/grad.h"
#include "../core/grad/door.h"
#include "../core/ops.h"
#include "init.h"
#include "internal/dtypes.h"

namespace microtorch::nn {
namespace functional {

namespace {

struct Layout {
  int64_t N, C, L;  // x (N, C, L); L = 1 for (N, C)
};

Layout check_batch_norm(const Tensor& x, const Tensor& rm, const Tensor& rv, const BatchNormFuncOptions& o) {
  if ((x.dtype() != kFloat32 && x.dtype() != kFloat64) || (x.dim() != 2 && x.dim() != 3))
    throw std::invalid_argument("batch_norm: input must be float32 or float64 (N, C) or (N, C, L), got " +
                                dtype_name(x.dtype()) + " of shape " + shape_str(x.shape()) +
                                (internal::is_half_kind(x.dtype()) ? " (float16/bfloat16 are not supported: the running "
                                                                     "statistics are updated in place; use .to(kFloat32))"
                                                                   : ""));
  const Layout s{x.shape()[0], x.shape()[1], x.dim() == 3 ? x.shape()[2] : 1};
  for (const auto& [what, t] : {std::pair<const char*, const Tensor&>{"running_mean", rm}, {"running_var", rv},
                                {"weight", o.weight()}, {"bias", o.bias()}})
    if (t.defined() && (t.dtype() != x.dtype() || t.shape() != Shape{s.C}))
      throw std::invalid_argument(std::string("batch_norm: ") + what + " must be " + dtype_name(x.dtype()) +
                                  " (the input's dtype: mixed dtypes are refused) of shape [" +
                                  std::to_string(s.C) + "] (the input's channels), got " + dtype_name(t.dtype()) +
                                  " of shape " + shape_str(t.shape()));
  if (!(o.eps() >= 0.0) || !std::isfinite(o.eps()))
    throw std::invalid_argument("batch_norm: eps must be finite and >= 0, got " + std::to_string(o.eps()));
  if (o.training() && s.N * s.L <= 1)
    throw std::invalid_argument("batch_norm: expected more than 1 value per channel when training, got input of shape " +
                                shape_str(x.shape()));
  if (!o.training() && !(rm.defined() && rv.defined()))
    throw std::invalid_argument("batch_norm: without training, running_mean and running_var must be given");
  return s;
}

}  // namespace

// training: y = (x - mean) * invstd * w + b, mean and biased var over each channel's N * L values.
//   dx = invstd / M * (M g - sum(g) - x_hat sum(g x_hat)) with g = dy * w, M = N * L; dw += sum dy x_hat; db += sum dy.
// eval: mean and var are the running ones, constants: dx = dy * w * invstd.
template <class T>
static Tensor batch_norm_t(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                           const BatchNormFuncOptions& o, const Layout& s) {
  const int64_t N = s.N, C = s.C, L = s.L, M = N * L;
  const Tensor w = o.weight(), b = o.bias();
  const T* xp = x.data_ptr<T>();
  std::vector<T> mean(static_cast<size_t>(C)), invstd(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) {
    if (!o.training()) {
      mean[c] = running_mean.data_ptr<T>()[c];
      invstd[c] = static_cast<T>(1.0 / std::sqrt(static_cast<double>(running_var.data_ptr<T>()[c]) + o.eps()));
      continue;
    }
    double sum = 0.0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t l = 0; l < L; ++l) sum += xp[(n * C + c) * L + l];  // seek to x[n, c, l]
    mean[c] = static_cast<T>(sum / static_cast<double>(M));
    double var_sum = 0.0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t l = 0; l < L; ++l) {
        const double d = static_cast<double>(xp[(n * C + c) * L + l]) - mean[c];
        var_sum += d * d;
      }
    invstd[c] = static_cast<T>(1.0 / std::sqrt(var_sum / static_cast<double>(M) + o.eps()));
    if (running_mean.defined()) {  // the buffers move towards the batch, outside the tape
      T& rm = running_mean.data_ptr<T>()[c];
      T& rv = running_var.data_ptr<T>()[c];
      const double m = o.momentum();
      rm = static_cast<T>(m * mean[c] + (1.0 - m) * rm);
      rv = static_cast<T>(m * (var_sum / static_cast<double>(M - 1)) + (1.0 - m) * rv);
    }
  }
  if (o.training() && running_mean.defined()) {
    grad::bump_version(running_mean);
    grad::bump_version(running_var);
  }

  Tensor y = empty(x.shape(), x.dtype());
  T* yp = y.data_ptr<T>();
  const T* wp = w.defined() ? w.data_ptr<T>() : nullptr;
  const T* bp = b.defined() ? b.data_ptr<T>() : nullptr;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) {
      const T scale = invstd[c] * (wp ? wp[c] : T(1)), shift = bp ? bp[c] : T(0);
      const T* row = xp + (n * C + c) * L;  // seek to x[n, c, :]
      T* out = yp + (n * C + c) * L;
      for (int64_t l = 0; l < L; ++l) out[l] = (row[l] - mean[c]) * scale + shift;
    }

  const bool training = o.training();
  record(y, "batch_norm", {x, w, b}, [x, w, b, N, C, L, training, mean = std::move(mean),
                                      invstd = std::move(invstd)](const Tensor& dy) {
    const T *xp = x.data_ptr<T>(), *g = dy.data_ptr<T>();
    const T* wp = w.defined() ? w.data_ptr<T>() : nullptr;
    const double M = static_cast<double>(N * L);
    Tensor dx = x.requires_grad() ? empty(x.shape(), x.dtype()) : Tensor();
    std::vector<T> dw(static_cast<size_t>(C)), db(static_cast<size_t>(C));
    for (int64_t c = 0; c < C; ++c) {
      double sum_dy = 0.0, sum_dy_xhat = 0.0;  // per channel: sum dy and sum dy * x_hat
      for (int64_t n = 0; n < N; ++n)
        for (int64_t l = 0; l < L; ++l) {
          const int64_t i = (n * C + c) * L + l;
          sum_dy += g[i];
          sum_dy_xhat += static_cast<double>(g[i]) * ((xp[i] - mean[c]) * invstd[c]);
        }
      dw[c] = static_cast<T>(sum_dy_xhat);
      db[c] = static_cast<T>(sum_dy);
      if (!dx.defined()) continue;
      const T wc = wp ? wp[c] : T(1);
      T* d = dx.data_ptr<T>();
      const T k = wc * invstd[c];
      const T mean_dy = static_cast<T>(sum_dy / M), mean_dy_xhat = static_cast<T>(sum_dy_xhat / M);
      for (int64_t n = 0; n < N; ++n)
        for (int64_t l = 0; l < L; ++l) {
          const int64_t i = (n * C + c) * L + l;
          const T xhat = (xp[i] - mean[c]) * invstd[c];
          d[i] = training ? k * (g[i] - mean_dy - xhat * mean_dy_xhat) : k * g[i];
        }
    }
    if (dx.defined()) accumulate_grad(x, dx);
    if (w.defined() && w.requires_grad()) accumulate_grad(w, tensor(dw, {C}));
    if (b.defined() && b.requires_grad()) accumulate_grad(b, tensor(db, {C}));
  });
  return y;
}

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const BatchNormFuncOptions& o) {
  const Layout s = check_batch_norm(x, running_mean, running_var, o);
  return x.dtype() == kFloat64 ? batch_norm_t<double>(x, running_mean, running_var, o, s)
                               : batch_norm_t<float>(x, running_mean, running_var, o, s);
}

}  // namespace functional

static const BatchNorm1dOptions& checked(const BatchNorm1dOptions& o) {
  if (o.num_features() < 1)
    throw std::invalid_argument("BatchNorm1d: num_features must be >= 1, got " + std::to_string(o.num_features()));
  if (!(o.eps() >= 0.0) || !std::isfinite(o.eps()))
    throw std::invalid_argument("BatchNorm1d: eps must be finite and >= 0, got " + std::to_string(o.eps()));
  if (o.momentum() && !(*o.momentum() >= 0.0 && *o.momentum() <= 1.0))
    throw std::invalid_argument("BatchNorm1d: momentum must be in [0, 1], got " + std::to_string(*o.momentum()));
  return o;
}

// t when the module tracks running statistics, else none.
static Tensor stats(const BatchNorm1dOptions& o, const Tensor& t) { return o.track_running_stats() ? t : Tensor(); }

BatchNorm1d::BatchNorm1d(const BatchNorm1dOptions& o)
    : weight(register_optional_parameter_("weight", checked(o).affine() ? empty({o.num_features()}) : Tensor())),
      bias(register_optional_parameter_("bias", o.affine() ? empty({o.num_features()}) : Tensor())),
      running_mean(register_optional_buffer_("running_mean", stats(o, empty({o.num_features()})))),
      running_var(register_optional_buffer_("running_var", stats(o, empty({o.num_features()})))),
      num_batches_tracked(register_optional_buffer_("num_batches_tracked", stats(o, zeros({}, kInt64)))),
      options_(o) {
  reset();
}

BatchNorm1d& BatchNorm1d::operator=(const BatchNorm1d& other) {
  Module::operator=(other);
  options_ = other.options_;
  return *this;
}

void BatchNorm1d::reset_running_stats() {
  if (!running_mean.defined()) return;
  NoGradGuard no_grad;
  running_mean.zero_();
  running_var.fill_(1.0f);
  num_batches_tracked.zero_();
}

void BatchNorm1d::reset() {
  reset_running_stats();
  if (weight.defined()) init::ones_(weight);
  if (bias.defined()) init::zeros_(bias);
}

Tensor BatchNorm1d::forward(const Tensor& x) {
  if (x.dim() != 2 && x.dim() != 3)
    throw std::invalid_argument("BatchNorm1d: expected a 2-d (N, C) or 3-d (N, C, L) input, got shape " +
                                shape_str(x.shape()));
  const bool tracking = running_mean.defined(), counting = is_training() && tracking;
  const int64_t batches = tracking ? num_batches_tracked.item<int64_t>() + (counting ? 1 : 0) : 0;
  // momentum nullopt: the plain average of every batch so far
  const double factor = options_.momentum() ? *options_.momentum() : counting ? 1.0 / static_cast<double>(batches) : 0.0;
  // eval() without running statistics normalises by the batch, as PyTorch's
  const Tensor y = functional::batch_norm(x, running_mean, running_var,
                                          functional::BatchNormFuncOptions()
                                              .weight(weight)
                                              .bias(bias)
                                              .training(is_training() || !tracking)
                                              .momentum(factor)
                                              .eps(options_.eps()));
  if (counting) {  // after the checks above passed: a refused batch counts for nothing
    num_batches_tracked.data_ptr<int64_t>()[0] = batches;
    grad::bump_version(num_batches_tracked);
  }
  return y;
}

}  // namespace microtorch::nn
