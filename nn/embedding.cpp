#include "embedding.h"

#include <algorithm>

#include "../core/autograd.h"
#include "init.h"

namespace microtorch::nn {

EmbeddingOptions::EmbeddingOptions(int64_t num_embeddings, int64_t embedding_dim)
    : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}

functional::EmbeddingFuncOptions EmbeddingOptions::func_options() const {
  return functional::EmbeddingFuncOptions()
      .padding_idx(padding_idx_)
      .max_norm(max_norm_)
      .norm_type(norm_type_)
      .scale_grad_by_freq(scale_grad_by_freq_)
      .sparse(sparse_);
}

// The checked options with padding_idx normalised to [0, V).
static EmbeddingOptions checked(const EmbeddingOptions& o) {
  const int64_t V = o.num_embeddings(), C = o.embedding_dim();
  if (V < 1 || C < 1)
    throw std::invalid_argument("Embedding: num_embeddings and embedding_dim must be >= 1, got (" + std::to_string(V) +
                                ", " + std::to_string(C) + ")");
  if (o.padding_idx() && (*o.padding_idx() < -V || *o.padding_idx() >= V))
    throw std::invalid_argument("Embedding: padding_idx " + std::to_string(*o.padding_idx()) + " must be within [-" +
                                std::to_string(V) + ", " + std::to_string(V) + ") (num_embeddings " + std::to_string(V) + ")");
  if (o.max_norm() && !(*o.max_norm() > 0.0))
    throw std::invalid_argument("Embedding: max_norm must be > 0, got " + std::to_string(*o.max_norm()));
  if (o._weight().defined() && (o._weight().shape() != Shape{V, C} || !o._weight().is_floating_point()))
    throw std::invalid_argument("Embedding: _weight of shape " + shape_str(o._weight().shape()) +
                                " does not match (num_embeddings, embedding_dim) = " + shape_str({V, C}));
  EmbeddingOptions out = o;
  if (o.padding_idx() && *o.padding_idx() < 0) out.padding_idx(*o.padding_idx() + V);
  return out;
}

// _weight shares its storage, as PyTorch's Parameter(_weight); else a fresh table that reset() fills.
Embedding::Embedding(const EmbeddingOptions& o)
    : weight(register_parameter("weight", checked(o)._weight().defined()
                                              ? o._weight().detach()
                                              : empty({o.num_embeddings(), o.embedding_dim()}))),
      options_(checked(o)) {
  if (!o._weight().defined()) reset();
}

Embedding& Embedding::operator=(const Embedding& other) {
  Module::operator=(other);
  options_ = other.options_;
  return *this;
}

void Embedding::reset() {
  const Shape want{options_.num_embeddings(), options_.embedding_dim()};
  if (!weight.defined() || !weight.is_floating_point() || weight.shape() != want)  // reassigned since construction
    throw std::invalid_argument("Embedding::reset: weight must be floating point of shape " + shape_str(want) + ", got " +
                                (weight.defined() ? shape_str(weight.shape()) : std::string("an undefined tensor")));
  init::normal_(weight, 0.0, 1.0);
  if (options_.padding_idx()) {
    NoGradGuard no_grad;
    weight.select(0, *options_.padding_idx()).zero_();
  }
}

Embedding Embedding::from_pretrained(const Tensor& w, const EmbeddingFromPretrainedOptions& o) {
  if (w.dim() != 2)
    throw std::invalid_argument("Embedding::from_pretrained: embeddings are expected to be 2-dimensional, got shape " +
                                shape_str(w.shape()));
  if (!w.is_floating_point())
    throw std::invalid_argument("Embedding::from_pretrained: embeddings must be floating point (float32, float64, "
                                "float16 or bfloat16), got " + dtype_name(w.dtype()));
  Embedding emb(EmbeddingOptions(w.shape()[0], w.shape()[1])
                    ._weight(w)
                    .padding_idx(o.padding_idx())
                    .max_norm(o.max_norm())
                    .norm_type(o.norm_type())
                    .scale_grad_by_freq(o.scale_grad_by_freq())
                    .sparse(o.sparse()));
  emb.weight.requires_grad_(!o.freeze());
  return emb;
}

Tensor Embedding::forward(const Tensor& ids) { return functional::embedding(ids, weight, options_.func_options()); }

}  // namespace microtorch::nn
