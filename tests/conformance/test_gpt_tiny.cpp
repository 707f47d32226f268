// The GPT-shaped reference case of $MICROTORCH_SHARED/conformance/v2 (kind `gpt`): a model written as a user
// writes it (modules that hold modules, tied head), its loss, every gradient by name, clip_grad_norm_, one
// AdamW step with two parameter groups and the loss after, against PyTorch. Tolerances as the v2 README:
// 1e-4 relative for the gradients and updated parameters.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>
#include <map>

#include "conformance.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using conformance::Case;
using conformance::mismatch;
using mt::Tensor;

namespace {

struct CausalSelfAttention : mt::nn::Module {
  mt::nn::Linear c_attn, c_proj;
  int64_t C, H;
  CausalSelfAttention(int64_t C_, int64_t H_)
      : c_attn(mt::nn::LinearOptions(C_, 3 * C_)), c_proj(mt::nn::LinearOptions(C_, C_)), C(C_), H(H_) {
    register_module("c_attn", c_attn);
    register_module("c_proj", c_proj);
  }
  Tensor forward(const Tensor& x) {  // (B, T, C) -> (B, T, C)
    const int64_t B = x.shape()[0], T = x.shape()[1];
    auto qkv = c_attn(x).split(C, 2);
    auto heads = [&](const Tensor& t) { return t.reshape({B, T, H, C / H}).transpose(1, 2); };  // (B, H, T, D)
    Tensor y = F::scaled_dot_product_attention(heads(qkv[0]), heads(qkv[1]), heads(qkv[2]), {}, 0.0, true);
    return c_proj(y.transpose(1, 2).contiguous().reshape({B, T, C}));
  }
};

struct Mlp : mt::nn::Module {
  mt::nn::Linear c_fc, c_proj;
  explicit Mlp(int64_t C) : c_fc(mt::nn::LinearOptions(C, 4 * C)), c_proj(mt::nn::LinearOptions(4 * C, C)) {
    register_module("c_fc", c_fc);
    register_module("c_proj", c_proj);
  }
  Tensor forward(const Tensor& x) { return c_proj(F::gelu(c_fc(x), F::GELUFuncOptions().approximate("tanh"))); }
};

struct Block : mt::nn::Module {
  mt::nn::LayerNorm ln_1, ln_2;
  CausalSelfAttention attn;
  Mlp mlp;
  Block(int64_t C, int64_t H)
      : ln_1(mt::nn::LayerNormOptions({C})), ln_2(mt::nn::LayerNormOptions({C})), attn(C, H), mlp(C) {
    register_module("ln_1", ln_1);
    register_module("attn", attn);
    register_module("ln_2", ln_2);
    register_module("mlp", mlp);
  }
  Tensor forward(const Tensor& x0) {
    Tensor x = x0 + attn.forward(ln_1(x0));
    return x + mlp.forward(ln_2(x));
  }
};

struct Gpt : mt::nn::Module {
  mt::nn::Embedding wte, wpe;
  mt::nn::LayerNorm ln_f;
  mt::nn::Linear lm_head;
  std::vector<Block> h;
  Gpt(int64_t V, int64_t T, int64_t C, int64_t H, int64_t L)
      : wte(mt::nn::EmbeddingOptions(V, C)), wpe(mt::nn::EmbeddingOptions(T, C)),
        ln_f(mt::nn::LayerNormOptions({C})), lm_head(mt::nn::LinearOptions(C, V).bias(false)) {
    register_module("wte", wte);
    register_module("wpe", wpe);
    for (int64_t i = 0; i < L; ++i) h.emplace_back(C, H);
    for (size_t i = 0; i < h.size(); ++i) register_module("h." + std::to_string(i), h[i]);
    register_module("ln_f", ln_f);
    lm_head.weight = wte.weight;  // tied before registration: reported once, as wte.weight
    register_module("lm_head", lm_head);
  }
  Tensor forward(const Tensor& idx, const Tensor& targets) {  // idx, targets (B, T) -> scalar loss
    const int64_t T = idx.shape()[1];
    Tensor x = wte(idx) + wpe(mt::arange(T));
    for (auto& b : h) x = b.forward(x);
    Tensor logits = lm_head(ln_f(x));
    const int64_t V = logits.shape().back();
    return F::cross_entropy(logits.reshape({-1, V}), targets.reshape({-1}));
  }
};

}  // namespace

TEST_CASE("conformance v2: gpt cases (loss, every gradient, clip, AdamW with two groups, loss after)") {
  for (const Case& c : conformance::cases("conformance/v2", {"gpt"})) {
    INFO("case " << c.name);
    Gpt model(int64_t(c.option("vocab")), int64_t(c.option("block")), int64_t(c.option("embd")),
              int64_t(c.option("heads")), int64_t(c.option("layers")));
    std::map<std::string, Tensor> params;
    for (auto& [name, t] : model.named_parameters()) params[name] = t;
    REQUIRE(params.count("lm_head.weight") == 0);
    size_t expected = 0;
    for (auto& [k, r] : c.tensors) expected += k.rfind("param:", 0) == 0;
    REQUIRE(params.size() == expected);
    {
      mt::NoGradGuard g;
      for (auto& [name, t] : params) t.copy_(c.tensor("param:" + name));
    }
    const Tensor idx = c.tensor("idx"), tgt = c.tensor("targets");
    Tensor loss = model.forward(idx, tgt);
    loss.backward();
    CHECK(mismatch(loss.reshape({1}), c.record("loss"), 1e-5, 1e-5, "loss") == "");
    for (auto& [name, t] : params) CHECK(mismatch(t.grad(), c.record("grad:" + name), 1e-5, 1e-4, "grad " + name) == "");
    std::vector<Tensor> all, decay, no_decay;
    for (auto& [name, t] : params) {
      all.push_back(t);
      (t.dim() >= 2 ? decay : no_decay).push_back(t);
    }
    const double total = mt::nn::utils::clip_grad_norm_(all, 1.0);
    CHECK(total == Approx(c.record("clip_total_norm").values[0]).epsilon(1e-4));
    std::vector<mt::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decay);
    groups.emplace_back(no_decay, std::make_unique<mt::optim::AdamWOptions>(
                                      mt::optim::AdamWOptions(1e-2).betas({0.9, 0.99}).eps(1e-8).weight_decay(0.0)));
    mt::optim::AdamW opt(std::move(groups), mt::optim::AdamWOptions(1e-2).betas({0.9, 0.99}).eps(1e-8).weight_decay(0.1));
    opt.step();
    // A gradient that is mathematically zero (the key bias: softmax ignores a constant added to a row of
    // scores) is float noise in PyTorch (multiples of 2^-32) and in ours, and Adam's first step turns noise g
    // into lr * g / (|g| + eps): up to lr, unrelated between the two. There the step is only bounded by lr.
    for (auto& [name, t] : params) {
      const auto& grad = c.record("grad:" + name).values;
      const auto& before = c.record("param:" + name).values;
      const auto& want = c.record("after:" + name).values;
      const auto got = t.to_vector<float>();
      REQUIRE(got.size() == want.size());
      for (size_t i = 0; i < got.size(); ++i) {
        INFO("after " << name << "[" << i << "]: got " << got[i] << ", PyTorch " << want[i]);
        if (std::fabs(grad[i]) < 1e-7) CHECK(std::fabs(got[i] - before[i] * (1 - (t.dim() >= 2 ? 1e-3 : 0))) <= 1e-2 * 1.0001);
        else CHECK(std::fabs(got[i] - want[i]) <= 2e-5 + 1e-4 * std::fabs(want[i]));
      }
    }
    mt::NoGradGuard g;
    CHECK(mismatch(model.forward(idx, tgt).reshape({1}), c.record("loss_after"), 1e-5, 1e-4, "loss after") == "");
  }
}
