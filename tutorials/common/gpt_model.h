// nanoGPT's model with the public API: token + position embeddings, L blocks of causal self-attention and
// an exact-GELU MLP (pre-LayerNorm, no biases), a final LayerNorm and the head tied to the token table.
// Lesson 6 (gpt_shakespeare.cpp) explains it; the bench's GPT step (bench/bench_gpt.cpp) times the same model.
#pragma once
#include <microtorch/microtorch.h>

#include <cmath>
#include <string>
#include <vector>

namespace tutorials {

namespace mt = ::microtorch;
namespace F = ::microtorch::nn::functional;

struct CausalSelfAttention : mt::nn::Module {
  int64_t C, H;
  mt::nn::Linear c_attn, c_proj;
  CausalSelfAttention(int64_t C, int64_t H)
      : C(C), H(H), c_attn(mt::nn::LinearOptions(C, 3 * C).bias(false)), c_proj(mt::nn::LinearOptions(C, C).bias(false)) {
    register_module("c_attn", c_attn);
    register_module("c_proj", c_proj);
  }
  // x (B, T, C) -> (B, T, C)
  mt::Tensor forward(const mt::Tensor& x) {
    const int64_t B = x.shape()[0], T = x.shape()[1];
    const std::vector<mt::Tensor> qkv = c_attn(x).split(C, 2);  // q, k, v: (B, T, C) each
    auto heads = [&](const mt::Tensor& t) { return t.reshape({B, T, H, C / H}).transpose(1, 2); };  // (B, H, T, D)
    const mt::Tensor y = F::scaled_dot_product_attention(heads(qkv[0]), heads(qkv[1]), heads(qkv[2]), {}, 0.0,
                                                         /*is_causal=*/true);  // (B, H, T, D)
    return c_proj(y.transpose(1, 2).contiguous().view({B, T, C}));             // heads side by side again
  }
};

struct Mlp : mt::nn::Module {
  mt::nn::Linear c_fc, c_proj;
  explicit Mlp(int64_t C)
      : c_fc(mt::nn::LinearOptions(C, 4 * C).bias(false)), c_proj(mt::nn::LinearOptions(4 * C, C).bias(false)) {
    register_module("c_fc", c_fc);
    register_module("c_proj", c_proj);
  }
  mt::Tensor forward(const mt::Tensor& x) { return c_proj(F::gelu(c_fc(x))); }  // exact GELU, as nanoGPT
};

struct Block : mt::nn::Module {
  mt::nn::LayerNorm ln_1, ln_2;
  CausalSelfAttention attn;
  Mlp mlp;
  Block(int64_t C, int64_t H)
      : ln_1(mt::nn::LayerNormOptions({C}).bias(false)), ln_2(mt::nn::LayerNormOptions({C}).bias(false)), attn(C, H),
        mlp(C) {
    register_module("ln_1", ln_1);
    register_module("attn", attn);
    register_module("ln_2", ln_2);
    register_module("mlp", mlp);
  }
  mt::Tensor forward(const mt::Tensor& x0) {
    const mt::Tensor x = x0 + attn.forward(ln_1(x0));  // the residual stream: each sub-layer adds to it
    return x + mlp.forward(ln_2(x));
  }
};

struct Gpt : mt::nn::Module {
  mt::nn::Embedding wte, wpe;
  std::vector<Block> h;
  mt::nn::LayerNorm ln_f;
  mt::nn::Linear lm_head;
  Gpt(int64_t V, int64_t T, int64_t C, int64_t H, int64_t L)
      : wte(mt::nn::EmbeddingOptions(V, C)), wpe(mt::nn::EmbeddingOptions(T, C)),
        ln_f(mt::nn::LayerNormOptions({C}).bias(false)), lm_head(mt::nn::LinearOptions(C, V).bias(false)) {
    for (int64_t i = 0; i < L; ++i) h.emplace_back(C, H);
    lm_head.weight = wte.weight;  // tied: one (V, C) Parameter, its gradient the sum of both uses
    register_module("wte", wte);
    register_module("wpe", wpe);
    for (size_t i = 0; i < h.size(); ++i) register_module("h." + std::to_string(i), h[i]);
    register_module("ln_f", ln_f);
    register_module("lm_head", lm_head);  // after tying: its weight is listed once, as "wte.weight"
    // nanoGPT's init: every matrix N(0, 0.02); the two projections that add into the residual stream
    // N(0, 0.02 / sqrt(2L)), so the stream's variance does not grow with depth. LayerNorm weights stay 1.
    for (auto& [name, p] : named_parameters()) {
      if (p.dim() < 2) continue;
      const bool into_stream = name.size() >= 13 && name.compare(name.size() - 13, 13, "c_proj.weight") == 0;
      mt::nn::init::normal_(p, 0.0, into_stream ? 0.02 / std::sqrt(2.0 * static_cast<double>(L)) : 0.02);
    }
  }
  // idx (B, T) int64 -> logits (B, T, V)
  mt::Tensor forward(const mt::Tensor& idx) {
    const int64_t T = idx.shape()[1];
    mt::Tensor x = wte(idx) + wpe(mt::arange(0, T));  // (B, T, C) + (T, C): what, plus where
    for (auto& block : h) x = block.forward(x);
    return lm_head(ln_f(x));  // (B, T, V), scored against the token table itself
  }
};

}  // namespace tutorials
