// The optimizer base: set_lr / get_lr on every optimizer, parameter groups (defaults inherited, own options kept,
// checked), the read-only state and its checked setters, and checkpoint round trips of Adam, AdamW and
// SparseAdam that continue bit-identically.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <string>

#include "helpers.h"

namespace mt = microtorch;
using namespace helpers;

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
      // A step that the next one would overflow, a negative or NaN moment: every later step would be NaN.
      {"step INT64_MAX", {{"step.0", mt::tensor(std::vector<int64_t>{INT64_MAX}, {1})}, good[1], good[2], good[3]},
       {"step.0", "9223372036854775807", "9007199254740992"}},
      {"negative exp_avg_sq", {good[0], good[1], {"exp_avg_sq.0", mt::full({5, 3}, -1.0f)}, good[3]},
       {"'exp_avg_sq.0'", "-1", ">= 0"}},
      {"NaN exp_avg", {good[0], {"exp_avg.0", mt::full({5, 3}, NAN)}, good[2], good[3]}, {"'exp_avg.0'", "nan", "finite"}},
      {"negative max_exp_avg_sq", {good[0], good[1], good[2], {"max_exp_avg_sq.0", mt::full({5, 3}, -2.0f)}},
       {"'max_exp_avg_sq.0'", ">= 0"}},
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
  const TempDir dir;
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
  mt::save(a, dir / "model.safetensors");
  mt::save(opt_a, dir / "opt.safetensors");
  run(a, opt_a, 3, 6);  // the uninterrupted run

  mt::manual_seed(2);
  mt::nn::Embedding b(mt::nn::EmbeddingOptions(6, 3).sparse(true));
  Opt opt_b = make(b.parameters());
  mt::load_into(b, dir / "model.safetensors");
  mt::load_into(opt_b, dir / "opt.safetensors");
  run(b, opt_b, 3, 6);  // resumed from the checkpoint
  CHECK(bits(a.weight) == bits(b.weight));
  CHECK(bits(opt_a.param_state(0).exp_avg_sq) == bits(opt_b.param_state(0).exp_avg_sq));
  CHECK(opt_b.param_state(0).step == 6);
}

TEST_CASE("optim: Adam, AdamW (amsgrad) and SparseAdam state round-trips through a checkpoint bit-identically") {
  round_trip<mt::optim::Adam>("adam", [](const std::vector<mt::Tensor>& p) {
    return mt::optim::Adam(p, mt::optim::AdamOptions(0.05).weight_decay(0.01)); });
  round_trip<mt::optim::AdamW>("adamw", [](const std::vector<mt::Tensor>& p) {
    return mt::optim::AdamW(p, mt::optim::AdamWOptions(0.05).amsgrad(true)); });
  round_trip<mt::optim::SparseAdam>("sparse_adam", [](const std::vector<mt::Tensor>& p) {
    return mt::optim::SparseAdam(p, mt::optim::SparseAdamOptions(0.05)); });
}
