// PyTorch's numbers for the optimizers: SGD trajectories and bigram training ($MICROTORCH_SHARED/conformance,
// bit-exact and 1e-4), AdamW / Adam trajectories, SparseAdam on a sparse embedding (and on the default
// row-tracked one) and clip_grad_norm_ (conformance/v2, run as ../shared/contract/v2/conformance_v2.cpp runs
// them, without select/stack: rows cut from the records).
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>

#include "conformance.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using conformance::Case;
using conformance::mismatch;

// Slice k (the first dim) of a record, as a tensor of the remaining shape.
static mt::Tensor slice(const Case& c, const std::string& name, int64_t k) {
  const auto& r = c.record(name);
  const mt::Shape rest(r.shape.begin() + 1, r.shape.end());
  const int64_t n = mt::shape_numel(rest);
  if (r.i64) {
    std::vector<int64_t> v(r.values.begin() + k * n, r.values.begin() + (k + 1) * n);
    return mt::tensor(v, rest);
  }
  std::vector<float> v(r.values.begin() + k * n, r.values.begin() + (k + 1) * n);
  return mt::tensor(v, rest);
}

template <class Opt>
static std::vector<float> run_quadratic(const Case& c, mt::Tensor w, Opt& opt) {
  std::vector<float> trajectory;
  for (int64_t k = 0; k < c.record("targets").shape[0]; ++k) {
    opt.zero_grad();
    auto d = w - slice(c, "targets", k);
    (d * d).sum().backward();
    opt.step();
    const auto wv = w.to_vector<float>();
    trajectory.insert(trajectory.end(), wv.begin(), wv.end());
  }
  return trajectory;
}

TEST_CASE("conformance: sgd_* cases, bit-exact trajectories") {
  for (const Case& c : conformance::cases("conformance", {"sgd"}, 3)) {
    INFO("case " << c.name);
    auto w = c.leaf("w0");
    const auto& targets = c.record("targets");
    const int64_t steps = targets.shape[0], n = targets.shape[1];
    REQUIRE(c.option("steps", static_cast<double>(steps)) == steps);
    mt::optim::SGD opt({w}, mt::optim::SGDOptions(c.option("lr")).momentum(c.option("momentum"))
                                .dampening(c.option("dampening")).weight_decay(c.option("weight_decay"))
                                .nesterov(c.option("nesterov") != 0));
    const std::vector<float> trajectory = run_quadratic(c, w, opt);
    // PyTorch's SGD is one fma per add(x, alpha): the same steps give the same bits.
    CHECK(mismatch(mt::tensor(trajectory, {steps, n}), c.record("w_after"), 0, 0, "w_after") == "");
  }
}

TEST_CASE("conformance: bigram_* cases, loss trajectory and the sparse run gives the dense bits") {
  for (const Case& c : conformance::cases("conformance", {"bigram"})) {
    INFO("case " << c.name);
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

TEST_CASE("conformance v2: adamw / adam trajectories as torch.optim.AdamW / Adam") {
  for (const Case& c : conformance::cases("conformance/v2", {"adam", "adamw"})) {
    INFO("case " << c.name);
    auto w = c.leaf("w0");
    const double lr = c.option("lr"), b1 = c.option("beta1"), b2 = c.option("beta2"), eps = c.option("eps");
    const double wd = c.option("weight_decay");
    const bool ams = c.option("amsgrad") != 0;
    std::vector<float> trajectory;
    if (c.options.at("kind") == "adamw") {
      mt::optim::AdamW opt({w}, mt::optim::AdamWOptions(lr).betas({b1, b2}).eps(eps).weight_decay(wd).amsgrad(ams));
      trajectory = run_quadratic(c, w, opt);
    } else {
      mt::optim::Adam opt({w}, mt::optim::AdamOptions(lr).betas({b1, b2}).eps(eps).weight_decay(wd).amsgrad(ams));
      trajectory = run_quadratic(c, w, opt);
    }
    CHECK(mismatch(mt::tensor(trajectory, c.record("w_after").shape), c.record("w_after"), 1e-6, 1e-5, "w_after") == "");
  }
}

TEST_CASE("conformance v2: sparse_adam on a sparse and on a default-mode embedding, untouched rows never move") {
  for (const Case& c : conformance::cases("conformance/v2", {"sparse_adam"}))
    for (bool sparse : {true, false}) {
      INFO("case " << c.name << (sparse ? ", sparse(true)" : ", default row-tracked mode"));
      const auto& w0 = c.record("w0");
      mt::nn::Embedding emb(mt::nn::EmbeddingOptions(w0.shape[0], w0.shape[1]).sparse(sparse));
      {
        mt::NoGradGuard no_grad;
        emb.weight.copy_(c.tensor("w0"));
      }
      mt::optim::SparseAdam opt(emb.parameters(), mt::optim::SparseAdamOptions(c.option("lr"))
                                                      .betas({c.option("beta1"), c.option("beta2")})
                                                      .eps(c.option("eps")));
      std::vector<float> trajectory;
      for (int64_t k = 0; k < c.record("ids").shape[0]; ++k) {
        opt.zero_grad();
        emb(slice(c, "ids", k)).backward(slice(c, "grad_out", k));
        opt.step();
        const auto wv = emb.weight.to_vector<float>();
        trajectory.insert(trajectory.end(), wv.begin(), wv.end());
      }
      CHECK(mismatch(mt::tensor(trajectory, c.record("w_after").shape), c.record("w_after"), 1e-6, 1e-5, "w_after") == "");
    }
}

TEST_CASE("conformance v2: clip_grad_norm_ in each gradient mode") {
  for (const Case& c : conformance::cases("conformance/v2", {"clip_grad_norm"})) {
    INFO("case " << c.name);
    auto p1 = mt::zeros(c.record("g1").shape).requires_grad_(true);
    auto p2 = mt::zeros(c.record("g2").shape).requires_grad_(true);
    ((p1 * c.tensor("g1")).sum() + (p2 * c.tensor("g2")).sum()).backward();  // grads = g1, g2
    const double total = mt::nn::utils::clip_grad_norm_(std::vector<mt::Tensor>{p1, p2}, c.option("max_norm"));
    const double want = c.record("total_norm").values[0];
    CHECK(std::fabs(total - want) <= 1e-5 * std::fabs(want));
    CHECK(mismatch(p1.grad(), c.record("g1_after"), 1e-6, 1e-5, "g1_after") == "");
    CHECK(mismatch(p2.grad(), c.record("g2_after"), 1e-6, 1e-5, "g2_after") == "");
  }
}
