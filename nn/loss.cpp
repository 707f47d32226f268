// F::cross_entropy: log-softmax and negative log-likelihood fused. The forward keeps only each row's max
// and log-sum-exp (2N floats); the backward rebuilds softmax - one_hot from the logits, no (N, V) temporary.
#include <algorithm>
#include <cmath>

#include "../core/autograd.h"
#include "../core/fastmath.h"
#include "../core/grad.h"
#include "functional.h"

namespace microtorch::nn::functional {

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, const CrossEntropyFuncOptions& o) {
  if (logits.dim() != 2 || logits.dtype() != kFloat32)
    throw std::invalid_argument("cross_entropy: logits must be float32 (N, V), got " + dtype_name(logits.dtype()) +
                                " of shape " + shape_str(logits.shape()));
  const int64_t N = logits.shape()[0], V = logits.shape()[1];
  if (targets.dtype() != kInt64 || targets.dim() != 1 || targets.shape()[0] != N)
    throw std::invalid_argument("cross_entropy: targets must be int64 of shape [" + std::to_string(N) + "], got " +
                                dtype_name(targets.dtype()) + " of shape " + shape_str(targets.shape()));
  const int64_t* t = targets.data_ptr<int64_t>();
  const int64_t ignore = o.ignore_index();
  int64_t count = 0;
  for (int64_t n = 0; n < N; ++n) {
    if (t[n] == ignore) continue;
    if (t[n] < 0 || t[n] >= V)
      throw std::invalid_argument("cross_entropy: target " + std::to_string(t[n]) + " at position " + std::to_string(n) +
                                  " is outside [0, " + std::to_string(V) + ") and is not ignore_index " + std::to_string(ignore));
    ++count;
  }

  // log_softmax(x)[j] = (x[j] - max) - log(sum(exp(x - max))), in PyTorch's order: exact near the max
  std::vector<float> row_max(static_cast<size_t>(N)), log_sum(static_cast<size_t>(N));
  double total = 0.0;
  for (int64_t n = 0; n < N; ++n) {
    const float* x = logits.data_ptr<float>() + n * V;  // seek to row n
    const float mx = detail::max_of(x, V);
    const double s = detail::sum_exp_shifted(x, V, mx);
    row_max[n] = mx;
    log_sum[n] = static_cast<float>(std::log(s));
    if (t[n] != ignore) total -= (x[t[n]] - mx) - log_sum[n];
  }
  Tensor loss = full({}, static_cast<float>(total / static_cast<double>(count)));  // 0/0 = NaN, as PyTorch

  record(loss, "cross_entropy", {logits}, [logits, targets, row_max = std::move(row_max),
                                                 log_sum = std::move(log_sum), count, ignore, N, V](const Tensor& dloss) {
    // dlogits[n, j] = dloss * (softmax[n, j] - [j == target]) / count; ignored rows get 0
    const float scale = dloss.item<float>() / static_cast<float>(count);
    const int64_t* t = targets.data_ptr<int64_t>();
    Tensor dlogits = empty(logits.shape());
    for (int64_t n = 0; n < N; ++n) {
      const float* x = logits.data_ptr<float>() + n * V;  // seek to row n
      float* d = dlogits.data_ptr<float>() + n * V;
      if (t[n] == ignore) {
        std::fill_n(d, V, 0.0f);
        continue;
      }
      const float mx = row_max[n], ls = log_sum[n];
      for (int64_t j = 0; j < V; ++j) d[j] = detail::fast_exp((x[j] - mx) - ls) * scale;
      d[t[n]] -= scale;
    }
    accumulate_grad(logits, dlogits);
  });
  return loss;
}

}  // namespace microtorch::nn::functional
