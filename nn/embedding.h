// nn::Embedding: a (V, C) table of learnable rows read by integer token ids.
//   mt::nn::Embedding emb(mt::nn::EmbeddingOptions(V, C).padding_idx(0).sparse(true));
//   mt::Tensor x = emb(ids);   // ids (B, T) int64 or int32 -> (B, T, C)
#pragma once
#include <optional>

#include "functional.h"
#include "module.h"

namespace microtorch::nn {

// The table's sizes, and the lookup's options as F::embedding takes them (functional.h says what each does).
struct EmbeddingOptions {
  EmbeddingOptions(int64_t num_embeddings, int64_t embedding_dim);
  functional::EmbeddingFuncOptions func_options() const;  // the options F::embedding takes
  /// V: the number of rows.
  MICROTORCH_ARG(int64_t, num_embeddings);
  /// C: the size of each row.
  MICROTORCH_ARG(int64_t, embedding_dim);
  /// Row that is zeroed at init and never receives gradient; negative counts back from num_embeddings.
  MICROTORCH_ARG(std::optional<int64_t>, padding_idx);
  MICROTORCH_ARG(std::optional<double>, max_norm);
  MICROTORCH_ARG(double, norm_type) = 2.0;
  MICROTORCH_ARG(bool, scale_grad_by_freq) = false;
  MICROTORCH_ARG(bool, sparse) = false;
  /// Use this (V, C) tensor as the weight (shares its storage) instead of a fresh N(0, 1) table.
  MICROTORCH_ARG(Tensor, _weight);
};

struct EmbeddingFromPretrainedOptions {
  /// true: the table is not trained (requires_grad false).
  MICROTORCH_ARG(bool, freeze) = true;
  MICROTORCH_ARG(std::optional<int64_t>, padding_idx);
  MICROTORCH_ARG(std::optional<double>, max_norm);
  MICROTORCH_ARG(double, norm_type) = 2.0;
  MICROTORCH_ARG(bool, scale_grad_by_freq) = false;
  MICROTORCH_ARG(bool, sparse) = false;
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
