// The Adam family: Adam and AdamW against a plain loop in double (amsgrad, L2 and decoupled weight decay), Adam on
// sparse and row-tracked embedding gradients giving the dense bits, SparseAdam moving only looked-up rows, and the
// Adam/AdamW element loop (core/kernels/adam.h) bit-identical to the plain loop beside it.
#include <catch2/catch.hpp>
#include <microtorch/core/kernels/adam.h>
#include <microtorch/microtorch.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "helpers.h"

namespace mt = microtorch;
using namespace helpers;

namespace {

// Adam / AdamW in double, element by element, as the formulas read: the plain oracle.
std::vector<double> adam_plain(std::vector<double> w, int steps, float target, double lr, double b1, double b2,
                               double eps, double wd, bool amsgrad, bool decoupled) {
  std::vector<double> m(w.size()), v(w.size()), vmax(w.size());
  for (int t = 1; t <= steps; ++t)
    for (size_t k = 0; k < w.size(); ++k) {
      double g = 2.0 * (w[k] - (target + 0.25 * (t - 1)));
      if (decoupled) w[k] *= 1.0 - lr * wd;
      else g += wd * w[k];
      m[k] = b1 * m[k] + (1 - b1) * g;
      v[k] = b2 * v[k] + (1 - b2) * g * g;
      vmax[k] = std::max(vmax[k], v[k]);
      const double denom = std::sqrt(amsgrad ? vmax[k] : v[k]) / std::sqrt(1 - std::pow(b2, t)) + eps;
      w[k] -= lr / (1 - std::pow(b1, t)) * m[k] / denom;
    }
  return w;
}

}  // namespace

TEST_CASE("optim: Adam and AdamW follow the plain loop in double (amsgrad, L2 and decoupled decay)") {
  const std::vector<float> w0{0.3f, -1.2f, 2.5f, 0.0f};
  for (bool decoupled : {false, true})
    for (bool ams : {false, true}) {
      INFO((decoupled ? "AdamW" : "Adam") << (ams ? " amsgrad" : ""));
      auto w = mt::tensor(w0, {4}).requires_grad_(true);
      if (decoupled) {
        mt::optim::AdamW opt({w}, mt::optim::AdamWOptions(0.05).betas({0.8, 0.9}).weight_decay(0.1).amsgrad(ams));
        quadratic_steps(w, opt, 6, -0.5f);
      } else {
        mt::optim::Adam opt({w}, mt::optim::AdamOptions(0.05).betas({0.8, 0.9}).weight_decay(0.1).amsgrad(ams));
        quadratic_steps(w, opt, 6, -0.5f);
      }
      const auto want = adam_plain({w0.begin(), w0.end()}, 6, -0.5f, 0.05, 0.8, 0.9, 1e-8, 0.1, ams, decoupled);
      const auto got = w.to_vector<float>();
      for (size_t k = 0; k < 4; ++k) CHECK(got[k] == Approx(want[k]).margin(2e-6));
    }
}

TEST_CASE("optim: Adam on a sparse or row-tracked embedding gradient gives the dense bits") {
  std::vector<std::vector<uint32_t>> runs;
  for (bool sparse : {false, true}) {
    mt::manual_seed(4);
    mt::nn::Embedding emb(mt::nn::EmbeddingOptions(10, 3).sparse(sparse));
    mt::optim::Adam opt(emb.parameters(), mt::optim::AdamOptions(0.01).amsgrad(true));
    for (int k = 0; k < 3; ++k) {
      opt.zero_grad();
      (mt::tanh(emb(mt::randint(0, 10, {7}))) * mt::randn({7, 3})).sum().backward();
      opt.step();
    }
    runs.push_back(bits(emb.weight));
  }
  CHECK(runs[0] == runs[1]);
}

TEST_CASE("optim: SparseAdam moves only looked-up rows and their moments, and a dense gradient is refused whole") {
  for (bool sparse : {true, false}) {
    INFO((sparse ? "sparse" : "default row-tracked"));
    mt::manual_seed(9);
    mt::nn::Embedding emb(mt::nn::EmbeddingOptions(8, 2).sparse(sparse));
    mt::optim::SparseAdam opt(emb.parameters(), mt::optim::SparseAdamOptions(0.1));
    const auto before = emb.weight.to_vector<float>();
    emb(mt::tensor(std::vector<int64_t>{1, 5, 1}, {3})).sum().backward();
    opt.step();
    const auto after = emb.weight.to_vector<float>();
    const auto& m = opt.param_state(0).exp_avg;
    for (int64_t k = 0; k < 16; ++k) {
      const bool hit = k / 2 == 1 || k / 2 == 5;
      CHECK((after[k] != before[k]) == hit);
      CHECK((m.to_vector<float>()[k] != 0.0f) == hit);
    }
    // First step: p -= lr * sqrt(1 - b2) / (1 - b1) * (1 - b1) g / (sqrt((1 - b2) g^2) + eps) ~ lr * sign(g).
    CHECK(after[2] == Approx(before[2] - 0.1).margin(1e-6));
  }
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(4, 2));
  mt::nn::Linear head(mt::nn::LinearOptions(2, 4).bias(false));
  head.weight = emb.weight;  // tied: the head's dense contribution makes the gradient dense
  mt::optim::SparseAdam opt(emb.parameters(), mt::optim::SparseAdamOptions(0.1));
  head(emb(mt::tensor(std::vector<int64_t>{1}, {1}))).sum().backward();
  const auto before = emb.weight.to_vector<float>();
  CHECK_THROWS_AS(opt.step(), std::invalid_argument);
  CHECK(emb.weight.to_vector<float>() == before);
  CHECK(opt.param_state(0).step == 0);
}

TEST_CASE("optim: the Adam/AdamW kernel loop is bit-identical to the plain one") {
  std::mt19937 rng(12);
  for (int variant = 0; variant < 4; ++variant) {
    for (int64_t n : {1, 5, 16, 33, 1000}) {
      mt::kernels::AdamScalars s;
      s.decoupled = variant == 0;
      s.weight_decay = variant != 2;
      s.b1 = 0.9f, s.b2 = 0.99f, s.keep1 = 0.1f, s.keep2 = 0.01f, s.shrink = 0.9999f, s.wd = 0.1f;
      s.bc2_sqrt = 0.3f, s.eps = 1e-8f, s.neg_step = -0.01f;
      const std::vector<float> w0 = random_floats(rng, n), g = random_floats(rng, n), m0 = random_floats(rng, n);
      std::vector<float> v0 = random_floats(rng, n, 0.0f, 1.0f), vmax0 = random_floats(rng, n, 0.0f, 1.0f);
      std::vector<float> w1 = w0, m1 = m0, v1 = v0, vm1 = vmax0, w2 = w0, m2 = m0, v2 = v0, vm2 = vmax0;
      const bool ams = variant == 3;
      for (int step = 0; step < 3; ++step) {
        mt::kernels::adam_kernel(w1.data(), g.data(), m1.data(), v1.data(), ams ? vm1.data() : nullptr, n, s);
        mt::kernels::adam_kernel_plain(w2.data(), g.data(), m2.data(), v2.data(), ams ? vm2.data() : nullptr, n, s);
      }
      REQUIRE(same_bits(w1, w2));
      REQUIRE(same_bits(m1, m2));
      REQUIRE(same_bits(v1, v2));
      REQUIRE(same_bits(vm1, vm2));
    }
  }
}
