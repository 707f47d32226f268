// The libtorch side of the GPT step (bench_gpt.cpp): the same model, init and recipe in libtorch 1.13's C++
// frontend. Its LayerNorm module always has a bias, so the bias-free LayerNorms are torch::layer_norm with
// a weight Parameter; attention is nanoGPT's torch < 2.0 path (torch_attention.h); the head is the token
// table itself (F::linear(x, wte.weight), as nanoGPT's tied lm_head). Module names hold no dots (libtorch
// forbids them), so "attn.c_proj" is "attn_c_proj".
#include <torch/torch.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "bench.h"
#include "torch_attention.h"

namespace bench {

namespace {

namespace nn = torch::nn;

struct Block : nn::Module {
  int64_t C, H;
  torch::Tensor ln_1, ln_2;  // LayerNorm weights, no bias
  nn::Linear c_attn{nullptr}, attn_proj{nullptr}, c_fc{nullptr}, mlp_proj{nullptr};
  Block(int64_t C, int64_t H, int64_t L) : C(C), H(H) {
    ln_1 = register_parameter("ln_1", torch::ones({C}));
    c_attn = register_module("attn_c_attn", nn::Linear(nn::LinearOptions(C, 3 * C).bias(false)));
    attn_proj = register_module("attn_c_proj", nn::Linear(nn::LinearOptions(C, C).bias(false)));
    ln_2 = register_parameter("ln_2", torch::ones({C}));
    c_fc = register_module("mlp_c_fc", nn::Linear(nn::LinearOptions(C, 4 * C).bias(false)));
    mlp_proj = register_module("mlp_c_proj", nn::Linear(nn::LinearOptions(4 * C, C).bias(false)));
    torch::NoGradGuard no_grad;  // nanoGPT's init: N(0, 0.02); into the residual stream N(0, 0.02/sqrt(2L))
    nn::init::normal_(c_attn->weight, 0.0, 0.02);
    nn::init::normal_(c_fc->weight, 0.0, 0.02);
    nn::init::normal_(attn_proj->weight, 0.0, 0.02 / std::sqrt(2.0 * L));
    nn::init::normal_(mlp_proj->weight, 0.0, 0.02 / std::sqrt(2.0 * L));
  }
  torch::Tensor forward(torch::Tensor x) {  // (B, T, C)
    const int64_t B = x.size(0), T = x.size(1);
    const auto qkv = c_attn(torch::layer_norm(x, {C}, ln_1)).split(C, 2);
    auto heads = [&](const torch::Tensor& t) { return t.view({B, T, H, C / H}).transpose(1, 2); };  // (B, H, T, D)
    const torch::Tensor y = torch_causal_attention(heads(qkv[0]), heads(qkv[1]), heads(qkv[2]));
    x = x + attn_proj(y.transpose(1, 2).contiguous().view({B, T, C}));
    return x + mlp_proj(torch::gelu(c_fc(torch::layer_norm(x, {C}, ln_2))));
  }
};

struct Model : nn::Module {
  int64_t C;
  nn::Embedding wte{nullptr}, wpe{nullptr};
  std::vector<std::shared_ptr<Block>> h;
  torch::Tensor ln_f;
  Model(int64_t V, int64_t T, int64_t C, int64_t H, int64_t L) : C(C) {
    wte = register_module("wte", nn::Embedding(V, C));
    wpe = register_module("wpe", nn::Embedding(T, C));
    for (int64_t i = 0; i < L; ++i) h.push_back(register_module("h" + std::to_string(i), std::make_shared<Block>(C, H, L)));
    ln_f = register_parameter("ln_f", torch::ones({C}));
    torch::NoGradGuard no_grad;
    nn::init::normal_(wte->weight, 0.0, 0.02);
    nn::init::normal_(wpe->weight, 0.0, 0.02);
  }
  torch::Tensor forward(const torch::Tensor& idx) {  // (B, T) -> logits (B, T, V)
    torch::Tensor x = wte(idx) + wpe(torch::arange(idx.size(1)));
    for (auto& block : h) x = block->forward(x);
    return nn::functional::linear(torch::layer_norm(x, {C}, ln_f), wte->weight);
  }
};

}  // namespace

Workload torch_gpt_step() {
  struct State {
    std::shared_ptr<Model> model;
    std::unique_ptr<torch::optim::AdamW> opt;
    std::vector<torch::Tensor> params, x, y;
    int next = 0;
  };
  torch::manual_seed(1337);
  auto s = std::make_shared<State>();
  s->model = std::make_shared<Model>(Gpt::V, Gpt::T, Gpt::C, Gpt::H, Gpt::L);
  std::vector<torch::Tensor> decay, no_decay;  // weight decay on the matrices only
  for (const auto& p : s->model->parameters()) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  const auto adamw = torch::optim::AdamWOptions(1e-3).betas({0.9, 0.99}).eps(1e-8);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(adamw).weight_decay(0.1)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(adamw).weight_decay(0.0)));
  s->opt = std::make_unique<torch::optim::AdamW>(std::move(groups), adamw);
  s->params = s->model->parameters();
  for (int i = 0; i < Gpt::kBatches; ++i) {
    s->x.push_back(torch::tensor(gpt_ids(i, false)).view({Gpt::B, Gpt::T}));
    s->y.push_back(torch::tensor(gpt_ids(i, true)));
  }
  return [s] {
    const int i = s->next++ % Gpt::kBatches;
    const torch::Tensor loss =
        nn::functional::cross_entropy(s->model->forward(s->x[i]).view({Gpt::B * Gpt::T, Gpt::V}), s->y[i]);
    for (auto& p : s->params) p.mutable_grad() = torch::Tensor();  // zero_grad(set_to_none=True), as nanoGPT
    loss.backward();
    nn::utils::clip_grad_norm_(s->params, 1.0);
    s->opt->step();
  };
}

}  // namespace bench
