// F::cross_entropy. The plain form (mean, no weight, no smoothing) is log-softmax and negative log-likelihood
// fused: the forward keeps only each row's max and log-sum-exp (2R floats); the backward rebuilds softmax -
// one_hot from the logits, no (R, V) temporary. Logits (N, V, d1, ...) (class dim 1, as PyTorch) are first
// copied to rows (N * d1 * ..., V); the gradient rows are copied back to that layout. The other forms are
// composed (log_softmax, nll_loss, sums), as PyTorch's cross_entropy_loss_label_smoothing; float64 always takes the
// composed form, float16/bfloat16 run in float32 and round back. A weight must have the logits' dtype.
#include <algorithm>
#include <cmath>

#include "../core/autograd.h"
#include "../core/kernels/fastmath.h"
#include "../core/grad.h"
#include "../core/ops.h"
#include "functional.h"
#include "internal/dtypes.h"
#include "loss.h"

namespace microtorch::nn::functional {

// Checks targets (R) against V and counts those that are not ignored. Throws before anything is computed.
static int64_t count_targets(const int64_t* t, int64_t R, int64_t V, int64_t ignore) {
  int64_t count = 0;
  for (int64_t n = 0; n < R; ++n) {
    if (t[n] == ignore) continue;
    if (t[n] < 0 || t[n] >= V)
      throw std::invalid_argument("cross_entropy: target " + std::to_string(t[n]) + " at position " + std::to_string(n) +
                                  " is outside [0, " + std::to_string(V) + ") and is not ignore_index " + std::to_string(ignore));
    ++count;
  }
  return count;
}

// x (R, V) rows: fills row_max and log_sum, returns the summed loss of the non-ignored rows.
// log_softmax(x)[j] = (x[j] - max) - log(sum(exp(x - max))), in PyTorch's order: exact near the max.
static double rows_forward(const float* x0, const int64_t* t, int64_t R, int64_t V, int64_t ignore,
                           std::vector<float>& row_max, std::vector<float>& log_sum) {
  double total = 0.0;
  for (int64_t n = 0; n < R; ++n) {
    const float* x = x0 + n * V;  // seek to row n
    const float mx = kernels::max_of(x, V);
    const double s = kernels::sum_exp_shifted(x, V, mx);
    row_max[n] = mx;
    log_sum[n] = static_cast<float>(std::log(s));
    if (t[n] != ignore) total -= (x[t[n]] - mx) - log_sum[n];
  }
  return total;
}

// d (R, V) = scale * (softmax(x) - one_hot(t)) per row; ignored rows get 0.
static void rows_backward(const float* x0, const int64_t* t, int64_t R, int64_t V, int64_t ignore, float scale,
                          const std::vector<float>& row_max, const std::vector<float>& log_sum, float* d0) {
  for (int64_t n = 0; n < R; ++n) {
    const float* x = x0 + n * V;  // seek to row n
    float* d = d0 + n * V;
    if (t[n] == ignore) {
      std::fill_n(d, V, 0.0f);
      continue;
    }
    const float mx = row_max[n], ls = log_sum[n];
    for (int64_t j = 0; j < V; ++j) d[j] = kernels::fast_exp((x[j] - mx) - ls) * scale;
    d[t[n]] -= scale;
  }
}

// (N, V, K) <-> (N * K, V): the class dim moved last, K = d1 * d2 * ...
static void to_rows(const float* src, int64_t N, int64_t V, int64_t K, float* rows) {
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < V; ++c) {
      const float* s = src + (n * V + c) * K;  // seek to logits[n, c, :]
      for (int64_t p = 0; p < K; ++p) rows[(n * K + p) * V + c] = s[p];
    }
}
static void from_rows(const float* rows, int64_t N, int64_t V, int64_t K, float* dst) {
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < V; ++c) {
      float* d = dst + (n * V + c) * K;  // seek to dlogits[n, c, :]
      for (int64_t p = 0; p < K; ++p) d[p] = rows[(n * K + p) * V + c];
    }
}

static Tensor cross_entropy_fused(const Tensor& logits_in, const Tensor& targets_in, const CrossEntropyFuncOptions& o) {
  const Tensor logits = logits_in.contiguous(), targets = targets_in.contiguous();
  if (logits.dtype() != kFloat32 || logits.dim() < 1)
    throw std::invalid_argument("cross_entropy: logits must be float32 (N, V) or (N, V, d1, ...), got " +
                                dtype_name(logits.dtype()) + " of shape " + shape_str(logits.shape()));
  const Shape& ls = logits.shape();
  // (V) with a () target is one row; else class dim 1, the targets are logits' shape without it
  const bool unbatched = logits.dim() == 1;
  const int64_t N = unbatched ? 1 : ls[0], V = unbatched ? ls[0] : ls[1];
  Shape want = unbatched ? Shape{} : Shape{N};
  if (!unbatched) want.insert(want.end(), ls.begin() + 2, ls.end());
  if (targets.dtype() != kInt64 || targets.shape() != want)
    throw std::invalid_argument("cross_entropy: targets must be int64 of shape " + shape_str(want) + " for logits " +
                                shape_str(ls) + ", got " + dtype_name(targets.dtype()) + " of shape " +
                                shape_str(targets.shape()));
  const int64_t K = unbatched ? 1 : shape_numel(Shape(ls.begin() + 2, ls.end())), R = N * K;
  const int64_t* t = targets.data_ptr<int64_t>();
  const int64_t ignore = o.ignore_index();
  const int64_t count = count_targets(t, R, V, ignore);

  // rows (R, V): the logits themselves when the class dim is already last, else a transposed copy
  Tensor rows = logits;
  if (K > 1) {
    rows = empty({R, V});
    to_rows(logits.data_ptr<float>(), N, V, K, rows.data_ptr<float>());
  }
  std::vector<float> row_max(static_cast<size_t>(R)), log_sum(static_cast<size_t>(R));
  const double total = rows_forward(rows.data_ptr<float>(), t, R, V, ignore, row_max, log_sum);
  Tensor loss = full({}, static_cast<float>(total / static_cast<double>(count)));  // 0/0 = NaN, as PyTorch

  rows = rows.detach();  // a copy or the logits' storage; read by the backward, never recorded
  record(loss, "cross_entropy", {logits}, [logits, targets, rows, row_max = std::move(row_max),
                                           log_sum = std::move(log_sum), count, ignore, N, V, K](const Tensor& dloss) {
    // dlogits[n, j] = dloss * (softmax[n, j] - [j == target]) / count; ignored rows get 0
    const float scale = dloss.item<float>() / static_cast<float>(count);
    const int64_t R = N * K;
    Tensor dlogits = empty(logits.shape());
    if (K == 1) {
      rows_backward(rows.data_ptr<float>(), targets.data_ptr<int64_t>(), R, V, ignore, scale, row_max, log_sum,
                    dlogits.data_ptr<float>());
    } else {
      std::vector<float> drows(static_cast<size_t>(R * V));
      rows_backward(rows.data_ptr<float>(), targets.data_ptr<int64_t>(), R, V, ignore, scale, row_max, log_sum,
                    drows.data());
      from_rows(drows.data(), N, V, K, dlogits.data_ptr<float>());
    }
    accumulate_grad(logits, dlogits);
  });
  return loss;
}

// (1 - s) nll_loss(log_softmax(x)) + s / V * smooth, smooth = -sum_c weight[c] log_softmax(x)[c] per target (0 at
// ignored ones), reduced as the nll: its mean divides by the summed class weights of the targets that are not
// ignored (by their count without a weight), as PyTorch 1.13's numbers.
static Tensor cross_entropy_composed(const Tensor& logits, const Tensor& targets, const CrossEntropyFuncOptions& o) {
  internal::check_floating("cross_entropy", "logits", logits);
  if (logits.dim() < 1)
    throw std::invalid_argument("cross_entropy: logits must be (N, V) or (N, V, d1, ...), got " +
                                dtype_name(logits.dtype()) + " of shape " + shape_str(logits.shape()));
  internal::check_same_dtype("cross_entropy", "weight", o.weight(), logits.dtype());
  if (internal::is_half_kind(logits.dtype())) {
    CrossEntropyFuncOptions o32 = o;
    o32.weight(internal::to_float32(o.weight()));
    return cross_entropy(logits.to(kFloat32), targets, o32).to(logits.dtype());
  }
  const Dtype dt = logits.dtype();
  auto num = [dt](double v) { return dt == kFloat64 ? Scalar(v) : Scalar(static_cast<float>(v)); };
  const int64_t class_dim = logits.dim() == 1 ? 0 : 1, V = logits.shape()[class_dim];
  const Tensor logp = log_softmax(logits, class_dim);
  const Tensor nll = nll_loss(logp, targets, NLLLossFuncOptions().weight(o.weight()).ignore_index(o.ignore_index())
                                                 .reduction(o.reduction()));  // checks targets and weight
  const double s = o.label_smoothing();
  if (s == 0.0) return nll;
  Tensor per_class = logp;
  if (o.weight().defined()) {
    Shape along(static_cast<size_t>(logits.dim()), 1);
    along[class_dim] = V;
    per_class = logp * o.weight().view(along);
  }
  // keep: 1 at a target that is not ignored, 0 at one that is; weight_sum: their summed class weights (or count)
  Tensor keep = zeros(targets.shape(), kFloat64);  // made in double, cast to the logits' dtype below
  double weight_sum = 0.0;
  const Tensor w64 = o.weight().defined() ? o.weight().to(kFloat64).contiguous() : Tensor();
  const int64_t* t = targets.data_ptr<int64_t>();
  for (int64_t i = 0; i < targets.numel(); ++i) {
    if (t[i] == o.ignore_index()) continue;
    keep.data_ptr<double>()[i] = 1.0;
    weight_sum += w64.defined() ? w64.data_ptr<double>()[t[i]] : 1.0;
  }
  keep = keep.to(dt);
  const Tensor smooth = -per_class.sum(class_dim) * keep;  // the targets' shape
  Tensor reduced = smooth;
  if (o.reduction() == kSum) reduced = smooth.sum();
  if (o.reduction() == kMean) reduced = smooth.sum() / num(weight_sum);
  return nll * num(1.0 - s) + reduced * num(s / static_cast<double>(V));
}

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, const CrossEntropyFuncOptions& o) {
  if (!(o.label_smoothing() >= 0.0 && o.label_smoothing() <= 1.0))
    throw std::invalid_argument("cross_entropy: label_smoothing must be in [0, 1], got " +
                                std::to_string(o.label_smoothing()));
  if (logits.dtype() != kFloat32 || o.weight().defined() || o.label_smoothing() != 0.0 || o.reduction() != kMean)
    return cross_entropy_composed(logits, targets, o);
  return cross_entropy_fused(logits, targets, o);
}

}  // namespace microtorch::nn::functional
