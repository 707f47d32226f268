// nn::Embedding: a (V, C) table of learnable rows read by integer token ids.
//   mt::nn::Embedding emb(mt::nn::EmbeddingOptions(V, C).padding_idx(0).sparse(true));
//   mt::Tensor x = emb(ids);   // ids (B, T) int64 or int32 -> (B, T, C)
#pragma once
#include <optional>

#include "functional.h"
#include "module.h"

namespace microtorch::nn {

struct EmbeddingOptions {
  EmbeddingOptions(int64_t num_embeddings, int64_t embedding_dim);
  /// Row that is zeroed at init and never receives gradient; negative counts back from num_embeddings.
  EmbeddingOptions& padding_idx(std::optional<int64_t> v) { padding_idx_ = v; return *this; }
  /// Looked-up rows whose norm exceeds this are rescaled in place (before the gather) to this norm.
  EmbeddingOptions& max_norm(std::optional<double> v) { max_norm_ = v; return *this; }
  /// The p of the p-norm used by max_norm (2 by default).
  EmbeddingOptions& norm_type(double v) { norm_type_ = v; return *this; }
  /// Divide each row's gradient by how often its id occurs in the batch (works with sparse too).
  EmbeddingOptions& scale_grad_by_freq(bool v) { scale_grad_by_freq_ = v; return *this; }
  /// Keep the gradient as the looked-up rows, never a dense (V, C) buffer (see optim::SGD).
  EmbeddingOptions& sparse(bool v) { sparse_ = v; return *this; }
  /// Use this (V, C) tensor as the weight (shares its storage) instead of a fresh N(0, 1) table.
  EmbeddingOptions& _weight(const Tensor& w) { weight_ = w; return *this; }

  int64_t num_embeddings() const { return num_embeddings_; }
  int64_t embedding_dim() const { return embedding_dim_; }
  const std::optional<int64_t>& padding_idx() const { return padding_idx_; }
  const std::optional<double>& max_norm() const { return max_norm_; }
  double norm_type() const { return norm_type_; }
  bool scale_grad_by_freq() const { return scale_grad_by_freq_; }
  bool sparse() const { return sparse_; }
  const Tensor& _weight() const { return weight_; }
  functional::EmbeddingFuncOptions func_options() const;  // the options F::embedding takes

 private:
  int64_t num_embeddings_, embedding_dim_;
  std::optional<int64_t> padding_idx_;
  std::optional<double> max_norm_;
  double norm_type_ = 2.0;
  bool scale_grad_by_freq_ = false;
  bool sparse_ = false;
  Tensor weight_;
};

struct EmbeddingFromPretrainedOptions {
  /// true (the default): the table is not trained (requires_grad false).
  EmbeddingFromPretrainedOptions& freeze(bool v) { freeze_ = v; return *this; }
  EmbeddingFromPretrainedOptions& padding_idx(std::optional<int64_t> v) { padding_idx_ = v; return *this; }
  EmbeddingFromPretrainedOptions& max_norm(std::optional<double> v) { max_norm_ = v; return *this; }
  EmbeddingFromPretrainedOptions& norm_type(double v) { norm_type_ = v; return *this; }
  EmbeddingFromPretrainedOptions& scale_grad_by_freq(bool v) { scale_grad_by_freq_ = v; return *this; }
  EmbeddingFromPretrainedOptions& sparse(bool v) { sparse_ = v; return *this; }
  bool freeze() const { return freeze_; }
  const std::optional<int64_t>& padding_idx() const { return padding_idx_; }
  const std::optional<double>& max_norm() const { return max_norm_; }
  double norm_type() const { return norm_type_; }
  bool scale_grad_by_freq() const { return scale_grad_by_freq_; }
  bool sparse() const { return sparse_; }

 private:
  bool freeze_ = true;
  std::optional<int64_t> padding_idx_;
  std::optional<double> max_norm_;
  double norm_type_ = 2.0;
  bool scale_grad_by_freq_ = false;
  bool sparse_ = false;
};

class Embedding : public Module {
 public:
  explicit Embedding(const EmbeddingOptions& options);
  Embedding(const Embedding&) = default;          // the same module: weight names the same slot
  Embedding& operator=(const Embedding& other);  // other's tensor, mode and options into this module (module.h)
  // A table from existing rows (shares w's storage); frozen by default; the padding row is not zeroed.
  static Embedding from_pretrained(const Tensor& w, const EmbeddingFromPretrainedOptions& options = {});

  void reset();                              // N(0, 1), padding row zeroed
  Tensor forward(const Tensor& ids);         // (...) -> (..., C)
  Tensor operator()(const Tensor& ids) { return forward(ids); }
  const EmbeddingOptions& options() const { return options_; }  // read-only: the table was built from them

  Tensor& weight;  // (V, C) Parameter, this module's "weight" slot: assign to tie it (wte.weight = head.weight)

 private:
  EmbeddingOptions options_;  // padding_idx normalised to [0, V)
};

}  // namespace microtorch::nn
