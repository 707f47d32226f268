// The optimizer base and the Adam family: parameter groups and set_lr on every optimizer, Adam / AdamW
// against a plain double-precision reference (amsgrad, both weight decays), SparseAdam's untouched rows,
// clip_grad_norm_ in each gradient mode, checked state setters, and checkpoint round trips that continue
// bit-identically.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "conformance.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using conformance::bits;

template <class Opt>
static void quadratic_steps(mt::Tensor w, Opt& opt, int steps, float target) {
  for (int k = 0; k < steps; ++k) {
    opt.zero_grad();
    auto d = w - mt::full(w.shape(), target + 0.25f * static_cast<float>(k));
    (d * d).sum().backward();
    opt.step();
  }
}

TEST_CASE("optim: set_lr / get_lr on every optimizer, checked, and the step uses it") {
  auto w = mt::zeros({1}).requires_grad_(true);
  mt::optim::SGD sgd({w}, mt::optim::SGDOptions(0.1));
  mt::optim::Adam adam({w}, mt::optim::AdamOptions(1e-3));
  mt::optim::AdamW adamw({w}, mt::optim::AdamWOptions(1e-3));
  auto table = mt::zeros({3, 2}).requires_grad_(true);
  mt::optim::SparseAdam sparse({table}, mt::optim::SparseAdamOptions(1e-3));
  std::vector<mt::optim::Optimizer*> all{&sgd, &adam, &adamw, &sparse};
  for (mt::optim::Optimizer* opt : all) {
    INFO(opt->name());
    for (auto& g : opt->param_groups()) g.options().set_lr(0.5);
    CHECK(opt->param_groups()[0].options().get_lr() == 0.5);
    CHECK_THROWS_AS(opt->param_groups()[0].options().set_lr(-1.0), std::invalid_argument);
    CHECK(opt->param_groups()[0].options().get_lr() == 0.5);  // unchanged by the refused value
  }
  for (auto& g : sgd.param_groups()) g.options().set_lr(2.0);
  (w * 1.0f).sum().backward();
  sgd.step();
  CHECK(w.item<float>() == -2.0f);
}

TEST_CASE("optim: parameter groups inherit the defaults, keep their own options, and are checked") {
  auto a = mt::ones({2}).requires_grad_(true), b = mt::ones({2}).requires_grad_(true);
  std::vector<mt::optim::OptimizerParamGroup> groups{
      mt::optim::OptimizerParamGroup({a}),
      mt::optim::OptimizerParamGroup({b}, std::make_unique<mt::optim::AdamWOptions>(mt::optim::AdamWOptions(1e-2).weight_decay(0.0)))};
  mt::optim::AdamW grouped(groups, mt::optim::AdamWOptions(1e-2).weight_decay(0.1));
  REQUIRE(grouped.param_groups().size() == 2);
  CHECK(static_cast<const mt::optim::AdamWOptions&>(grouped.param_groups()[0].options()).weight_decay() == 0.1);
  CHECK(static_cast<const mt::optim::AdamWOptions&>(grouped.param_groups()[1].options()).weight_decay() == 0.0);
  quadratic_steps(a, grouped, 3, 0.5f);  // b has no gradient: skipped
  // The same steps with one group of wd 0.1 give the same bits for a.
  auto a2 = mt::ones({2}).requires_grad_(true);
  mt::optim::AdamW single({a2}, mt::optim::AdamWOptions(1e-2).weight_decay(0.1));
  quadratic_steps(a2, single, 3, 0.5f);
  CHECK(bits(a) == bits(a2));
  CHECK(b.to_vector<float>() == std::vector<float>{1, 1});

  CHECK_THROWS_AS(mt::optim::SGD(std::vector<mt::optim::OptimizerParamGroup>{mt::optim::OptimizerParamGroup({a}),
                                                                             mt::optim::OptimizerParamGroup({a})},
                                 mt::optim::SGDOptions(0.1)),
                  std::invalid_argument);  // one parameter in two groups
  CHECK_THROWS_AS(mt::optim::SGD(std::vector<mt::optim::OptimizerParamGroup>{mt::optim::OptimizerParamGroup(
                                     {a}, std::make_unique<mt::optim::AdamOptions>(1e-3))},
                                 mt::optim::SGDOptions(0.1)),
                  std::invalid_argument);  // another optimizer's options
  CHECK_THROWS_AS(mt::optim::AdamW({a}, mt::optim::AdamWOptions(1e-3).betas({0.9, 1.0})), std::invalid_argument);
  CHECK_THROWS_AS(mt::optim::Adam({a}, mt::optim::AdamOptions(1e-3).eps(-1.0)), std::invalid_argument);
  CHECK_THROWS_AS(mt::optim::SparseAdam({a}, mt::optim::SparseAdamOptions(1e-3)), std::invalid_argument);  // not 2-D
}

// The plain reference: Adam / AdamW in double, element by element, as the formulas read.
static std::vector<double> reference_adam(std::vector<double> w, int steps, float target, double lr, double b1, double b2,
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

TEST_CASE("optim: Adam and AdamW follow the plain reference (amsgrad, L2 and decoupled decay)") {
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
      const auto want = reference_adam({w0.begin(), w0.end()}, 6, -0.5f, 0.05, 0.8, 0.9, 1e-8, 0.1, ams, decoupled);
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

TEST_CASE("optim: clip_grad_norm_ gives the same total and clipped step in every gradient mode") {
  std::vector<std::vector<float>> weights;
  std::vector<double> totals;
  for (int mode = 0; mode < 3; ++mode) {  // 0 dense (one_hot x w), 1 default row-tracked, 2 sparse
    INFO("mode " << mode);
    auto w = mt::tensor(std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}, {4, 2}).requires_grad_(true);
    auto bias = mt::zeros({2}).requires_grad_(true);
    const auto ids = mt::tensor(std::vector<int64_t>{2, 0, 2}, {3});
    auto rows = mode == 0 ? mt::matmul(mt::one_hot(ids, 4).to(mt::kFloat32), w) : F::embedding(ids, w, F::EmbeddingFuncOptions().sparse(mode == 2));
    ((rows + bias) * mt::tensor(std::vector<float>{3, 4, 1, 2, 6, 8}, {3, 2})).sum().backward();
    // grad w: row 2 = (3+6, 4+8) = (9, 12), row 0 = (1, 2); grad bias = (10, 14). total = sqrt(81+144+1+4+100+196)
    totals.push_back(mt::nn::utils::clip_grad_norm_({w, bias}, 2.0));
    mt::optim::SGD opt({w, bias}, mt::optim::SGDOptions(1.0));
    opt.step();
    weights.push_back(w.to_vector<float>());
  }
  for (double t : totals) CHECK(t == Approx(std::sqrt(526.0)).epsilon(1e-6));
  const float coef = 2.0f / std::sqrt(526.0f);
  CHECK(weights[0][4] == Approx(5.0f - 9.0f * coef).margin(1e-6));
  CHECK(weights[0][2] == 3.0f);  // row 1: never looked up
  for (int mode = 1; mode < 3; ++mode)
    for (size_t k = 0; k < 8; ++k) CHECK(weights[mode][k] == Approx(weights[0][k]).margin(1e-6));
  auto none = mt::zeros({2}).requires_grad_(true);
  CHECK(mt::nn::utils::clip_grad_norm_({none}, 1.0) == 0.0);
  CHECK_THROWS_AS(mt::nn::utils::clip_grad_norm_({none}, 1.0, -2.0), std::invalid_argument);
}

TEST_CASE("optim: state is read-only, and the checked setters refuse what would break a step (catalogue)") {
  auto w = mt::zeros({5, 3}).requires_grad_(true);
  mt::optim::SGD sgd({w}, mt::optim::SGDOptions(0.1).momentum(0.9));
  (w * 2.0f).sum().backward();
  sgd.step();
  const auto buffer = sgd.momentum_buffers()[0].to_vector<float>();
  // momentum_buffers() is const: `sgd.momentum_buffers()[0] = zeros({1})` does not compile.
  CHECK_THROWS_AS(sgd.set_momentum_buffer(0, mt::zeros({1})), std::invalid_argument);
  CHECK_THROWS_AS(sgd.set_momentum_buffer(0, mt::zeros({5, 3}, mt::kInt32)), std::invalid_argument);
  CHECK_THROWS_AS(sgd.set_momentum_buffer(1, mt::zeros({5, 3})), std::out_of_range);
  CHECK(sgd.momentum_buffers()[0].to_vector<float>() == buffer);
  sgd.step();  // still a valid buffer: no overflow

  mt::optim::Adam adam({w}, mt::optim::AdamOptions(0.1).amsgrad(true));
  adam.step();
  const mt::optim::OptimizerState good = adam.state();
  REQUIRE(good.size() == 4);
  auto without = [&](const std::string& name) {
    mt::optim::OptimizerState s;
    for (const auto& e : good)
      if (e.first != name) s.push_back(e);
    return s;
  };
  struct Bad {
    const char* what;
    mt::optim::OptimizerState state;
    std::vector<std::string> words;
  };
  std::vector<Bad> bad{
      {"missing exp_avg_sq", without("exp_avg_sq.0"), {"exp_avg_sq.0", "together"}},
      {"missing max_exp_avg_sq", without("max_exp_avg_sq.0"), {"max_exp_avg_sq.0", "amsgrad"}},
      {"wrong shape", {{"step.0", good[0].second}, {"exp_avg.0", mt::zeros({1})}, {"exp_avg_sq.0", good[2].second}}, {"'exp_avg.0'", "[5, 3]", "[1]"}},
      {"step 0", {{"step.0", mt::tensor(std::vector<int64_t>{0}, {1})}, good[1], good[2], good[3]}, {"step.0", "0"}},
  };
  const auto before = adam.param_state(0).exp_avg.to_vector<float>();
  for (const Bad& b : bad) {
    INFO(b.what);
    try {
      adam.load_state(b.state);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      for (const auto& word : b.words) CHECK_THAT(e.what(), Catch::Contains(word));
    }
    CHECK(adam.param_state(0).exp_avg.to_vector<float>() == before);
    CHECK(adam.param_state(0).step == 1);
  }
  CHECK_THROWS_AS(adam.load_state({{"exp_avg.7", mt::zeros({5, 3})}}), std::runtime_error);  // no parameter 7
  CHECK_THROWS_AS(adam.param_state(1), std::out_of_range);
}

template <class Opt, class Make>
static void round_trip(const char* name, Make make) {
  INFO(name);
  const auto dir = std::filesystem::temp_directory_path() / ("microtorch_optim_" + std::string(name));
  std::filesystem::create_directories(dir);
  auto run = [](mt::nn::Embedding& emb, Opt& opt, int from, int to) {
    for (int k = from; k < to; ++k) {
      mt::manual_seed(100 + k);
      opt.zero_grad();
      (mt::tanh(emb(mt::randint(0, 6, {5}))) * mt::randn({5, 3})).sum().backward();
      opt.step();
    }
  };
  mt::manual_seed(1);
  mt::nn::Embedding a(mt::nn::EmbeddingOptions(6, 3).sparse(true));
  Opt opt_a = make(a.parameters());
  run(a, opt_a, 0, 3);
  mt::save(a, (dir / "model.safetensors").string());
  mt::save(opt_a, (dir / "opt.safetensors").string());
  run(a, opt_a, 3, 6);  // the uninterrupted run

  mt::manual_seed(2);
  mt::nn::Embedding b(mt::nn::EmbeddingOptions(6, 3).sparse(true));
  Opt opt_b = make(b.parameters());
  mt::load_into(b, (dir / "model.safetensors").string());
  mt::load_into(opt_b, (dir / "opt.safetensors").string());
  run(b, opt_b, 3, 6);  // resumed from the checkpoint
  CHECK(bits(a.weight) == bits(b.weight));
  CHECK(bits(opt_a.param_state(0).exp_avg_sq) == bits(opt_b.param_state(0).exp_avg_sq));
  CHECK(opt_b.param_state(0).step == 6);
  std::filesystem::remove_all(dir);
}

TEST_CASE("optim: Adam, AdamW (amsgrad) and SparseAdam state round-trips through a checkpoint bit-identically") {
  round_trip<mt::optim::Adam>("adam", [](const std::vector<mt::Tensor>& p) {
    return mt::optim::Adam(p, mt::optim::AdamOptions(0.05).weight_decay(0.01)); });
  round_trip<mt::optim::AdamW>("adamw", [](const std::vector<mt::Tensor>& p) {
    return mt::optim::AdamW(p, mt::optim::AdamWOptions(0.05).amsgrad(true)); });
  round_trip<mt::optim::SparseAdam>("sparse_adam", [](const std::vector<mt::Tensor>& p) {
    return mt::optim::SparseAdam(p, mt::optim::SparseAdamOptions(0.05)); });
}
