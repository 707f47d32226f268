// nn::functional: the stateless forms. Modules (embedding.h, linear.h) call these.
#pragma once
#include <optional>

#include "../core/tensor.h"

namespace microtorch::nn::functional {

// Options of F::embedding, as torch::nn::functional::EmbeddingFuncOptions.
struct EmbeddingFuncOptions {
  /// Row that is never updated by the gradient; negative counts back from the number of rows.
  EmbeddingFuncOptions& padding_idx(std::optional<int64_t> v) { padding_idx_ = v; return *this; }
  /// Looked-up rows whose norm exceeds this are rescaled in place to this norm before the gather.
  EmbeddingFuncOptions& max_norm(std::optional<double> v) { max_norm_ = v; return *this; }
  /// The p of the p-norm used by max_norm.
  EmbeddingFuncOptions& norm_type(double v) { norm_type_ = v; return *this; }
  /// Divide each row's gradient by how often its id occurs in the batch.
  EmbeddingFuncOptions& scale_grad_by_freq(bool v) { scale_grad_by_freq_ = v; return *this; }
  /// Keep the weight's gradient as rows (ids and their gradient rows), never a dense (V, C) buffer.
  EmbeddingFuncOptions& sparse(bool v) { sparse_ = v; return *this; }
  const std::optional<int64_t>& padding_idx() const { return padding_idx_; }
  const std::optional<double>& max_norm() const { return max_norm_; }
  double norm_type() const { return norm_type_; }
  bool scale_grad_by_freq() const { return scale_grad_by_freq_; }
  bool sparse() const { return sparse_; }

 private:
  std::optional<int64_t> padding_idx_;
  std::optional<double> max_norm_;
  double norm_type_ = 2.0;
  bool scale_grad_by_freq_ = false;
  bool sparse_ = false;
};

// ids (...) int64 or int32, weight (V, C) -> (..., C): a gather of rows. Backward adds the output's
// gradient rows into the looked-up rows of weight's gradient only. Throws std::out_of_range for an
// id outside [0, V) (naming the id, its flat position and V) before anything is read or written.
Tensor embedding(const Tensor& ids, const Tensor& weight, const EmbeddingFuncOptions& options = {});

// x (..., in), weight (out, in), bias (out) or undefined -> (..., out) = x weight^T + bias, one SGEMM.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

struct CrossEntropyFuncOptions {
  /// Targets equal to this contribute no loss and no gradient, and are not counted in the mean.
  CrossEntropyFuncOptions& ignore_index(int64_t v) { ignore_index_ = v; return *this; }
  int64_t ignore_index() const { return ignore_index_; }

 private:
  int64_t ignore_index_ = -100;
};

// logits (N, V) float32, targets (N) int64 -> the mean over non-ignored targets of
// -log_softmax(logits)[n, targets[n]], fused and numerically stable. A 0-d tensor.
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, const CrossEntropyFuncOptions& options = {});

}  // namespace microtorch::nn::functional
