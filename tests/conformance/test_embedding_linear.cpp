// PyTorch's reference cases in $MICROTORCH_SHARED/conformance for the lookup and the head: embedding_*, linear_*,
// cross_entropy*, tied_*, reproduced through the public API (the folder is listed, so a new file is picked up).
// Tolerances are the README's: a gather is bit-exact (with max_norm: 1e-6 relative to PyTorch, but an exact copy
// of our own renormed rows); gradients and losses |a - b| <= 1e-5 + 1e-5 |b|.
#include <catch2/catch.hpp>
#include <microtorch/core/grad/state.h>
#include <microtorch/core/grad/door.h>
#include <microtorch/microtorch.h>

#include "conformance.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using conformance::Case;
using conformance::mismatch;
using helpers::bits;

// out must be a bit-exact copy of the rows of w picked by ids (w as it is after the call).
static std::string not_gathered(const mt::Tensor& out, const mt::Tensor& w, const mt::Tensor& ids) {
  const auto o = out.to_vector<float>(), wv = w.to_vector<float>();
  const auto id = ids.to_vector<int64_t>();
  const int64_t C = w.shape()[1];
  if (o.size() != id.size() * C) return "out has " + std::to_string(o.size()) + " values";
  for (size_t i = 0; i < id.size(); ++i)
    for (int64_t j = 0; j < C; ++j)
      if (o[i * C + j] != wv[id[i] * C + j]) return "out row " + std::to_string(i) + " is not a copy of weight row " + std::to_string(id[i]);
  return "";
}

TEST_CASE("conformance: embedding_* cases, dense and sparse, module and functional") {
  for (const Case& c : conformance::cases("conformance", {"embedding"})) {
    INFO("case " << c.name);
    const bool renorm = c.has("max_norm");
    const double out_atol = c.has("relative_only") ? 0.0 : 1e-6;
    auto o = F::EmbeddingFuncOptions().scale_grad_by_freq(c.option("scale_grad_by_freq") != 0);
    if (c.has("padding_idx")) o.padding_idx(static_cast<int64_t>(c.option("padding_idx")));
    if (renorm) o.max_norm(c.option("max_norm")).norm_type(c.option("norm_type", 2.0));
    const mt::Tensor ids = c.tensor("ids");
    std::vector<uint32_t> dense_grad_bits;
    for (bool sparse : {false, true}) {
      for (bool module : {true, false}) {
        INFO((sparse ? "sparse " : "dense ") << (module ? "nn::Embedding" : "F::embedding"));
        mt::Tensor w, out;
        if (module) {
          auto eo = mt::nn::EmbeddingOptions(c.option("num_embeddings"), c.option("embedding_dim"))
                        .padding_idx(o.padding_idx()).max_norm(o.max_norm()).norm_type(o.norm_type())
                        .scale_grad_by_freq(o.scale_grad_by_freq()).sparse(sparse);
          mt::nn::Embedding emb(eo);
          { mt::NoGradGuard no_grad; emb.weight.copy_(c.tensor("weight")); }
          w = emb.weight;
          out = emb(ids);
        } else {
          w = c.leaf("weight");
          out = F::embedding(ids, w, F::EmbeddingFuncOptions(o).sparse(sparse));
        }
        out.backward(c.tensor("grad_out"));
        if (renorm) {
          CHECK(mismatch(out, c.record("out"), out_atol, 1e-6, "out") == "");
          CHECK(not_gathered(out, w.detach(), ids) == "");
          CHECK(mismatch(w.detach(), c.record("weight_after"), out_atol, 1e-6, "weight_after") == "");
        } else {
          CHECK(mismatch(out, c.record("out"), 0, 0, "out") == "");
          CHECK(mismatch(w.detach(), c.record("weight_after"), 0, 0, "weight_after") == "");
        }
        // Before anything looks, the gradient is rows (sparse) or row-tracked (default); grad() makes it dense.
        CHECK(mt::grad::kind(w) == (sparse ? mt::grad::Kind::kSparse : mt::grad::Kind::kTracked));
        CHECK(mismatch(w.grad(), c.record("weight_grad"), 1e-5, 1e-5, "weight_grad") == "");
        // The sparse rows densify to the very floats of the dense path.
        if (!sparse && module) dense_grad_bits = bits(w.grad());
        else CHECK(bits(w.grad()) == dense_grad_bits);
      }
    }
  }
}

TEST_CASE("conformance: linear_* cases") {
  for (const Case& c : conformance::cases("conformance", {"linear"})) {
    INFO("case " << c.name);
    const bool bias = c.option("bias", 1) != 0;
    const auto& W = c.record("weight");
    mt::nn::Linear lin(mt::nn::LinearOptions(W.shape[1], W.shape[0]).bias(bias));
    {
      mt::NoGradGuard no_grad;
      lin.weight.copy_(c.tensor("weight"));
      if (bias) lin.bias.copy_(c.tensor("b"));
    }
    auto x = c.leaf("x");
    auto y = lin(x);
    y.backward(c.tensor("grad_out"));
    CHECK(mismatch(y, c.record("out"), 1e-5, 1e-5, "out") == "");
    CHECK(mismatch(x.grad(), c.record("x_grad"), 1e-5, 1e-5, "x_grad") == "");
    CHECK(mismatch(lin.weight.grad(), c.record("weight_grad"), 1e-5, 1e-5, "weight_grad") == "");
    if (bias) CHECK(mismatch(lin.bias.grad(), c.record("b_grad"), 1e-5, 1e-5, "b_grad") == "");
  }
}

TEST_CASE("conformance: cross_entropy* cases") {
  for (const Case& c : conformance::cases("conformance", {"cross"}, 2)) {
    INFO("case " << c.name);
    auto logits = c.leaf("logits");
    auto opts = F::CrossEntropyFuncOptions();
    if (c.has("ignore_index")) opts.ignore_index(static_cast<int64_t>(c.option("ignore_index")));
    auto loss = F::cross_entropy(logits, c.tensor("targets"), opts);
    loss.backward();
    CHECK(mismatch(loss.view({1}), c.record("loss"), 1e-5, 1e-5, "loss") == "");
    CHECK(mismatch(logits.grad(), c.record("logits_grad"), 1e-5, 1e-5, "logits_grad") == "");
  }
}

TEST_CASE("conformance: tied_* cases, dense and sparse embedding") {
  for (const Case& c : conformance::cases("conformance", {"tied"})) {
    INFO("case " << c.name);
    const auto& W = c.record("weight");
    const int64_t V = W.shape[0], C = W.shape[1];
    for (bool sparse : {false, true}) {
      INFO((sparse ? "sparse embedding" : "dense embedding"));
      mt::nn::Embedding emb(mt::nn::EmbeddingOptions(V, C).sparse(sparse));
      mt::nn::Linear head(mt::nn::LinearOptions(C, V).bias(false));
      { mt::NoGradGuard no_grad; emb.weight.copy_(c.tensor("weight")); }
      head.weight = emb.weight;
      auto logits = head(mt::tanh(emb(c.tensor("ids"))));
      auto loss = F::cross_entropy(logits.view({-1, V}), c.tensor("targets").view({-1}));
      loss.backward();
      CHECK(mismatch(loss.view({1}), c.record("loss"), 1e-5, 1e-5, "loss") == "");
      CHECK(mismatch(emb.weight.grad(), c.record("weight_grad"), 1e-5, 1e-5, "weight_grad") == "");
      CHECK(bits(head.weight.grad()) == bits(emb.weight.grad()));
    }
  }
}
