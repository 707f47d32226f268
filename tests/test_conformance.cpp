// Every PyTorch reference case in $MICROTORCH_SHARED/conformance, reproduced through the public API.
// The folder is listed, so a new file of a known kind is picked up; a file of an unknown kind fails.
// Tolerances are the README's: a gather is bit-exact (with max_norm: 1e-6 relative to PyTorch, but an
// exact copy of our own renormed rows); gradients and losses |a - b| <= 1e-5 + 1e-5 |b|; trajectories 1e-4.
#include <catch2/catch.hpp>
#include <microtorch/core/grad/state.h>
#include <microtorch/core/grad/door.h>
#include <microtorch/microtorch.h>

#include <algorithm>
#include <filesystem>

#include "conformance.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using conformance::Case;
using conformance::mismatch;

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

TEST_CASE("conformance: every case file is of a kind these tests reproduce") {
  const std::string dir = conformance::shared_dir();
  if (dir.empty()) return;
  const std::vector<std::string> kinds{"embedding", "linear", "cross", "tied", "sgd", "bigram"};
  size_t total = 0;
  for (const auto& kind : kinds) total += conformance::case_names(dir, kind).size();
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".txt") continue;
    ++files;
    INFO("case file " << e.path().filename().string());
    CHECK(std::find(kinds.begin(), kinds.end(), conformance::kind_of(e.path().stem().string())) != kinds.end());
  }
  CHECK(files == total);
  CHECK(total >= 13);  // the cases shipped with the contract
}

TEST_CASE("conformance: embedding_* cases, dense and sparse, module and functional") {
  const std::string dir = conformance::shared_dir();
  if (dir.empty()) return;
  const auto names = conformance::case_names(dir, "embedding");
  REQUIRE(!names.empty());
  for (const auto& name : names) {
    INFO("case " << name);
    const Case c = conformance::load_case(dir, name);
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
          w = c.tensor("weight").requires_grad_(true);
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
        if (!sparse && module) dense_grad_bits = conformance::bits(w.grad());
        else CHECK(conformance::bits(w.grad()) == dense_grad_bits);
      }
    }
  }
}

TEST_CASE("conformance: linear_* cases") {
  const std::string dir = conformance::shared_dir();
  if (dir.empty()) return;
  const auto names = conformance::case_names(dir, "linear");
  REQUIRE(!names.empty());
  for (const auto& name : names) {
    INFO("case " << name);
    const Case c = conformance::load_case(dir, name);
    const bool bias = c.option("bias", 1) != 0;
    const auto& W = c.record("weight");
    mt::nn::Linear lin(mt::nn::LinearOptions(W.shape[1], W.shape[0]).bias(bias));
    {
      mt::NoGradGuard no_grad;
      lin.weight.copy_(c.tensor("weight"));
      if (bias) lin.bias.copy_(c.tensor("b"));
    }
    auto x = c.tensor("x").requires_grad_(true);
    auto y = lin(x);
    y.backward(c.tensor("grad_out"));
    CHECK(mismatch(y, c.record("out"), 1e-5, 1e-5, "out") == "");
    CHECK(mismatch(x.grad(), c.record("x_grad"), 1e-5, 1e-5, "x_grad") == "");
    CHECK(mismatch(lin.weight.grad(), c.record("weight_grad"), 1e-5, 1e-5, "weight_grad") == "");
    if (bias) CHECK(mismatch(lin.bias.grad(), c.record("b_grad"), 1e-5, 1e-5, "b_grad") == "");
  }
}

TEST_CASE("conformance: cross_entropy* cases") {
  const std::string dir = conformance::shared_dir();
  if (dir.empty()) return;
  const auto names = conformance::case_names(dir, "cross");
  REQUIRE(names.size() >= 2);
  for (const auto& name : names) {
    INFO("case " << name);
    const Case c = conformance::load_case(dir, name);
    auto logits = c.tensor("logits").requires_grad_(true);
    auto opts = F::CrossEntropyFuncOptions();
    if (c.has("ignore_index")) opts.ignore_index(static_cast<int64_t>(c.option("ignore_index")));
    auto loss = F::cross_entropy(logits, c.tensor("targets"), opts);
    loss.backward();
    CHECK(mismatch(loss.view({1}), c.record("loss"), 1e-5, 1e-5, "loss") == "");
    CHECK(mismatch(logits.grad(), c.record("logits_grad"), 1e-5, 1e-5, "logits_grad") == "");
  }
}

TEST_CASE("conformance: tied_* cases, dense and sparse embedding") {
  const std::string dir = conformance::shared_dir();
  if (dir.empty()) return;
  const auto names = conformance::case_names(dir, "tied");
  REQUIRE(!names.empty());
  for (const auto& name : names) {
    INFO("case " << name);
    const Case c = conformance::load_case(dir, name);
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
      CHECK(conformance::bits(head.weight.grad()) == conformance::bits(emb.weight.grad()));
    }
  }
}

TEST_CASE("conformance: sgd_* cases, bit-exact trajectories") {
  const std::string dir = conformance::shared_dir();
  if (dir.empty()) return;
  const auto names = conformance::case_names(dir, "sgd");
  REQUIRE(names.size() >= 3);
  for (const auto& name : names) {
    INFO("case " << name);
    const Case c = conformance::load_case(dir, name);
    auto w = c.tensor("w0").requires_grad_(true);
    const auto& targets = c.record("targets");
    const int64_t steps = targets.shape[0], n = targets.shape[1];
    REQUIRE(c.option("steps", static_cast<double>(steps)) == steps);
    mt::optim::SGD opt({w}, mt::optim::SGDOptions(c.option("lr")).momentum(c.option("momentum"))
                                .dampening(c.option("dampening")).weight_decay(c.option("weight_decay"))
                                .nesterov(c.option("nesterov") != 0));
    std::vector<float> trajectory;
    const mt::Tensor all = c.tensor("targets");
    for (int64_t k = 0; k < steps; ++k) {
      const auto t = all.to_vector<float>();
      auto d = w - mt::tensor(std::vector<float>(t.begin() + k * n, t.begin() + (k + 1) * n), {n});
      opt.zero_grad();
      (d * d).sum().backward();
      opt.step();
      const auto wv = w.to_vector<float>();
      trajectory.insert(trajectory.end(), wv.begin(), wv.end());
    }
    // PyTorch's SGD is one fma per add(x, alpha): the same steps give the same bits.
    CHECK(mismatch(mt::tensor(trajectory, {steps, n}), c.record("w_after"), 0, 0, "w_after") == "");
  }
}

TEST_CASE("conformance: bigram_* cases, loss trajectory and the sparse run gives the dense bits") {
  const std::string dir = conformance::shared_dir();
  if (dir.empty()) return;
  const auto names = conformance::case_names(dir, "bigram");
  REQUIRE(!names.empty());
  for (const auto& name : names) {
    INFO("case " << name);
    const Case c = conformance::load_case(dir, name);
    const auto& W = c.record("W");
    std::vector<std::vector<float>> runs, finals;
    for (bool sparse : {false, true}) {
      INFO((sparse ? "sparse" : "dense"));
      mt::nn::Embedding emb(mt::nn::EmbeddingOptions(W.shape[0], W.shape[1]).sparse(sparse));
      { mt::NoGradGuard no_grad; emb.weight.copy_(c.tensor("W")); }
      mt::optim::SGD opt(emb.parameters(), mt::optim::SGDOptions(c.option("lr")));
      const auto xs = c.tensor("xs"), ys = c.tensor("ys");
      std::vector<float> losses;
      for (int k = 0; k < static_cast<int>(c.option("steps")); ++k) {
        opt.zero_grad();
        auto loss = F::cross_entropy(emb(xs), ys);
        loss.backward();
        opt.step();
        losses.push_back(loss.item<float>());
      }
      CHECK(mismatch(mt::tensor(losses, {static_cast<int64_t>(losses.size())}), c.record("losses"), 0, 1e-4, "losses") == "");
      runs.push_back(losses);
      finals.push_back(emb.weight.to_vector<float>());
    }
    CHECK(runs[0] == runs[1]);
    CHECK(finals[0] == finals[1]);
  }
}
