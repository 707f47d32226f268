// GPT-2's modules and their forward, as the textbook writes them (nanoGPT's model.py, Hugging Face's
// modeling_gpt2.py): every step an op of the library, so the backward comes from the tape.
#include "gpt2.h"

#include <cmath>
#include <stdexcept>

#include "../core/autograd.h"
#include "../core/ops.h"
#include "../nn/functional.h"
#include "../nn/init.h"

namespace microtorch::models {

namespace F = nn::functional;

void GPT2Config::validate() const {
  auto at_least_one = [](const char* field, int64_t v) {
    if (v < 1) throw std::invalid_argument(std::string("GPT2Config: ") + field + " must be >= 1, got " + std::to_string(v));
  };
  at_least_one("vocab_size", vocab_size_);
  at_least_one("n_positions", n_positions_);
  at_least_one("n_embd", n_embd_);
  at_least_one("n_layer", n_layer_);
  at_least_one("n_head", n_head_);
  if (n_inner_) at_least_one("n_inner", *n_inner_);
  if (n_embd_ % n_head_ != 0)
    throw std::invalid_argument("GPT2Config: n_embd " + std::to_string(n_embd_) + " is not a multiple of n_head " +
                                std::to_string(n_head_));
  if (!(layer_norm_epsilon_ >= 0.0) || !std::isfinite(layer_norm_epsilon_))
    throw std::invalid_argument("GPT2Config: layer_norm_epsilon must be finite and >= 0, got " +
                                std::to_string(layer_norm_epsilon_));
  const std::string& a = activation_function_;
  if (a != "gelu_new" && a != "gelu_pytorch_tanh" && a != "gelu")
    throw std::invalid_argument("GPT2Config: activation_function \"" + a +
                                "\" is not one of \"gelu_new\", \"gelu_pytorch_tanh\" (tanh GELU) or \"gelu\" (exact)");
}

static const GPT2Config& checked(const GPT2Config& c) {
  c.validate();
  return c;
}

// Linear(in, out); without `initialise` its weight and bias are taken uninitialised (filled later).
static nn::LinearOptions linear(int64_t in, int64_t out, bool initialise) {
  nn::LinearOptions o(in, out);
  return initialise ? o : o._weight(empty({out, in})).bias(true)._bias(empty({out}));
}

GPT2Attention::GPT2Attention(int64_t C, int64_t H, bool initialise)
    : c_attn(linear(C, 3 * C, initialise)), c_proj(linear(C, C, initialise)), n_head(H) {
  register_module("c_attn", c_attn);
  register_module("c_proj", c_proj);
}

Tensor GPT2Attention::forward(const Tensor& x) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), H = n_head;
  const std::vector<Tensor> qkv = c_attn(x).split(C, 2);  // q, k, v: (B, T, C) each
  auto heads = [&](const Tensor& t) { return t.view({B, T, H, C / H}).transpose(1, 2); };  // (B, H, T, D)
  const Tensor y = F::scaled_dot_product_attention(heads(qkv[0]), heads(qkv[1]), heads(qkv[2]), {}, 0.0,
                                                   /*is_causal=*/true);  // (B, H, T, D)
  return c_proj(y.transpose(1, 2).contiguous().view({B, T, C}));          // the heads side by side again
}

GPT2MLP::GPT2MLP(int64_t C, int64_t inner, bool tanh, bool initialise)
    : c_fc(linear(C, inner, initialise)), c_proj(linear(inner, C, initialise)), tanh_gelu(tanh) {
  register_module("c_fc", c_fc);
  register_module("c_proj", c_proj);
}

Tensor GPT2MLP::forward(const Tensor& x) {
  return c_proj(F::gelu(c_fc(x), F::GELUFuncOptions().approximate(tanh_gelu ? "tanh" : "none")));
}

GPT2Block::GPT2Block(const GPT2Config& c, bool initialise)
    : ln_1(nn::LayerNormOptions({c.n_embd()}).eps(c.layer_norm_epsilon())),
      attn(c.n_embd(), c.n_head(), initialise),
      ln_2(nn::LayerNormOptions({c.n_embd()}).eps(c.layer_norm_epsilon())),
      mlp(c.n_embd(), c.inner(), c.activation_function() != "gelu", initialise) {
  register_module("ln_1", ln_1);
  register_module("attn", attn);
  register_module("ln_2", ln_2);
  register_module("mlp", mlp);
}

Tensor GPT2Block::forward(const Tensor& x0) {
  const Tensor x = x0 + attn.forward(ln_1(x0));  // the residual stream: each sub-layer adds to it
  return x + mlp.forward(ln_2(x));
}

// The tables take their storage uninitialised (Embedding's _weight); init_weights or a load fills them.
GPT2::GPT2(const GPT2Config& config, NoInit)
    : wte(nn::EmbeddingOptions(checked(config).vocab_size(), config.n_embd())
              ._weight(empty({config.vocab_size(), config.n_embd()}))),
      wpe(nn::EmbeddingOptions(config.n_positions(), config.n_embd())._weight(empty({config.n_positions(), config.n_embd()}))),
      ln_f(nn::LayerNormOptions({config.n_embd()}).eps(config.layer_norm_epsilon())),
      config_(config) {
  h.reserve(static_cast<size_t>(config.n_layer()));
  for (int64_t i = 0; i < config.n_layer(); ++i) h.emplace_back(config, /*initialise=*/false);
  register_all();
}

GPT2::GPT2(const GPT2Config& config) : GPT2(config, NoInit{}) { init_weights(); }

void GPT2::register_all() {
  register_module("wte", wte);
  register_module("wpe", wpe);
  for (size_t i = 0; i < h.size(); ++i) register_module("h." + std::to_string(i), h[i]);
  register_module("ln_f", ln_f);
}

void GPT2::init_weights() {
  const double std = 0.02, proj_std = 0.02 / std::sqrt(2.0 * static_cast<double>(config_.n_layer()));
  nn::init::normal_(wte.weight, 0.0, std);
  nn::init::normal_(wpe.weight, 0.0, std);
  for (GPT2Block& b : h) {
    for (nn::Linear* l : {&b.attn.c_attn, &b.attn.c_proj, &b.mlp.c_fc, &b.mlp.c_proj}) {
      const bool into_stream = l == &b.attn.c_proj || l == &b.mlp.c_proj;
      nn::init::normal_(l->weight, 0.0, into_stream ? proj_std : std);
      nn::init::zeros_(l->bias);
    }
  }
}

Tensor GPT2::forward(const Tensor& idx) {
  if (idx.dim() != 2)
    throw std::invalid_argument("GPT2::forward: idx must be (B, T) token ids, got shape " + shape_str(idx.shape()));
  const int64_t T = idx.size(1);
  if (T > config_.n_positions())
    throw std::invalid_argument("GPT2::forward: a sequence of " + std::to_string(T) + " tokens is longer than n_positions " +
                                std::to_string(config_.n_positions()));
  Tensor x = wte(idx) + wpe(arange(0, T));  // (B, T, C) + (T, C): what, plus where
  for (GPT2Block& block : h) x = block.forward(x);
  return F::linear(ln_f(x), wte.weight);  // (B, T, V): scored against the token table itself
}

}  // namespace microtorch::models
