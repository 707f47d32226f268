// PyTorch 1.13's numbers for the version-2 optimizers ($MICROTORCH_SHARED/conformance/v2): AdamW / Adam
// trajectories, SparseAdam on a sparse embedding (and on the default row-tracked one), clip_grad_norm_.
// Run as ../shared/contract/v2/conformance_v2.cpp does, without select/stack (rows cut from the records).
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

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

// Every v2 case whose `option kind` is one of `kinds` (v2 names its kind in the file, not in its name).
static std::vector<Case> cases_of_kind(const std::string& dir, const std::vector<std::string>& kinds) {
  std::vector<Case> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".txt") continue;
    Case c = conformance::load_case(dir, entry.path().stem().string());
    if (c.has("kind") && std::find(kinds.begin(), kinds.end(), c.options.at("kind")) != kinds.end()) out.push_back(c);
  }
  return out;
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

TEST_CASE("conformance v2: adamw / adam trajectories as torch.optim.AdamW / Adam") {
  const std::string dir = conformance::shared_dir("conformance/v2");
  if (dir.empty()) return;
  const auto cases = cases_of_kind(dir, {"adam", "adamw"});
  REQUIRE(!cases.empty());
  for (const Case& c : cases) {
    INFO("case " << c.name);
    auto w = c.tensor("w0").requires_grad_(true);
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
  const std::string dir = conformance::shared_dir("conformance/v2");
  if (dir.empty()) return;
  const auto cases = cases_of_kind(dir, {"sparse_adam"});
  REQUIRE(!cases.empty());
  for (const Case& c : cases)
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
  const std::string dir = conformance::shared_dir("conformance/v2");
  if (dir.empty()) return;
  const auto cases = cases_of_kind(dir, {"clip_grad_norm"});
  REQUIRE(!cases.empty());
  for (const Case& c : cases) {
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
