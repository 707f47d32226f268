// The learning-rate schedulers against PyTorch 1.13's torch.optim.lr_scheduler: the lr of every group after the
// constructor and after each of the following steps (SGD with lr 0.1, a second group at 0.2 where shown),
// printed with Python's repr, so each double must be equal, not close.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <memory>
#include <vector>

namespace mt = microtorch;
namespace optim = mt::optim;

namespace {

using Lrs = std::vector<std::vector<double>>;

const Lrs kStep = {{0.1, 0.2}, {0.1, 0.2}, {0.1, 0.2}, {0.05, 0.1}, {0.05, 0.1}, {0.05, 0.1}, {0.025, 0.05},
    {0.025, 0.05}, {0.025, 0.05}, {0.0125, 0.025}, {0.0125, 0.025}, {0.0125, 0.025}, {0.00625, 0.0125},
    {0.00625, 0.0125}, {0.00625, 0.0125}};
const Lrs kExponential = {{0.1}, {0.09000000000000001}, {0.08100000000000002}, {0.07290000000000002},
    {0.06561000000000002}, {0.05904900000000002}, {0.05314410000000002}, {0.04782969000000002},
    {0.043046721000000024}, {0.03874204890000002}, {0.03486784401000002}, {0.03138105960900001},
    {0.028242953648100012}, {0.025418658283290013}, {0.022876792454961013}};
const Lrs kCosine = {{0.1}, {0.0905463412215599}, {0.06579634122155989}, {0.035203658778440096},
    {0.010453658778440105}, {0.001}, {0.010453658778440102}, {0.03520365877844012}, {0.06579634122155993},
    {0.09054634122155995}, {0.10000000000000005}, {0.09054634122155998}, {0.06579634122155995},
    {0.03520365877844014}, {0.010453658778440116}};
const Lrs kLambda = {{0.1}, {0.05}, {0.03333333333333333}, {0.025}, {0.020000000000000004},
    {0.016666666666666666}, {0.014285714285714285}, {0.0125}, {0.011111111111111112}, {0.010000000000000002},
    {0.009090909090909092}, {0.008333333333333333}, {0.007692307692307693}, {0.007142857142857143},
    {0.006666666666666667}};
const Lrs kLinear = {{0.025}, {0.04125}, {0.05750000000000001}, {0.07375000000000001}, {0.09000000000000002},
    {0.09000000000000002}, {0.09000000000000002}, {0.09000000000000002}, {0.09000000000000002},
    {0.09000000000000002}, {0.09000000000000002}, {0.09000000000000002}, {0.09000000000000002},
    {0.09000000000000002}, {0.09000000000000002}};
const Lrs kSequential = {{0.010000000000000002, 0.020000000000000004},
    {0.028000000000000004, 0.05600000000000001}, {0.046000000000000006, 0.09200000000000001}, {0.064, 0.128},
    {0.082, 0.164}, {0.1, 0.2}, {0.09505339495172584, 0.1901018383468468},
    {0.08119331560284375, 0.16236780569578044}, {0.061164920651117914, 0.12229096734893365},
    {0.03893507934888211, 0.0778090326510664}, {0.018906684397156263, 0.0377321943042196},
    {0.005046605048274169, 0.009998161653153217}, {0.0001, 0.0001}, {0.005046605048274164, 0.009998161653153207},
    {0.018906684397156252, 0.03773219430421958}};
const Lrs kSequential3 = {{0.1}, {0.05}, {0.025}, {0.1}, {0.1}, {0.010000000000000002}, {0.05},
    {0.07500000000000001}, {0.1}, {0.1}, {0.1}};

// An SGD over `groups` one-element parameters, group i at lr 0.1 * (i + 1).
struct Setup {
  std::vector<mt::Tensor> params;
  std::unique_ptr<optim::SGD> opt;
  explicit Setup(int groups) {
    std::vector<optim::OptimizerParamGroup> gs;
    for (int i = 0; i < groups; ++i) {
      params.push_back(mt::zeros({1}).requires_grad_(true));
      gs.emplace_back(std::vector<mt::Tensor>{params.back()},
                      std::make_unique<optim::SGDOptions>(optim::SGDOptions(0.1 * (i + 1))));
    }
    opt = std::make_unique<optim::SGD>(gs, optim::SGDOptions(0.1));
  }
};

// get_last_lr() after construction and after each step() equals want, double for double; so do the groups' lrs.
void check_sequence(optim::LRScheduler& sched, optim::Optimizer& opt, const Lrs& want) {
  for (size_t step = 0; step < want.size(); ++step) {
    INFO("step " << step);
    if (step > 0) {
      opt.step();
      sched.step();
    }
    CHECK(sched.get_last_lr() == want[step]);
    for (size_t g = 0; g < want[step].size(); ++g) CHECK(opt.param_groups()[g].options().get_lr() == want[step][g]);
  }
}

}  // namespace

TEST_CASE("lr_scheduler: StepLR, ExponentialLR, CosineAnnealingLR, LambdaLR, LinearLR give PyTorch's lrs") {
  {
    Setup s(2);
    optim::StepLR sched(*s.opt, /*step_size=*/3, /*gamma=*/0.5);
    check_sequence(sched, *s.opt, kStep);
  }
  {
    Setup s(1);
    optim::ExponentialLR sched(*s.opt, 0.9);
    check_sequence(sched, *s.opt, kExponential);
  }
  {
    Setup s(1);
    optim::CosineAnnealingLR sched(*s.opt, /*T_max=*/5, /*eta_min=*/1e-3);  // past T_max: back up again
    check_sequence(sched, *s.opt, kCosine);
  }
  {
    Setup s(1);
    optim::LambdaLR sched(*s.opt, [](int64_t epoch) { return 1.0 / (epoch + 1); });
    check_sequence(sched, *s.opt, kLambda);
  }
  {
    Setup s(1);
    optim::LinearLR sched(*s.opt, /*start_factor=*/0.25, /*end_factor=*/0.9, /*total_iters=*/4);
    check_sequence(sched, *s.opt, kLinear);
  }
}

TEST_CASE("lr_scheduler: SequentialLR, warm-up then cosine (two groups) and three schedulers, as PyTorch") {
  {
    Setup s(2);
    optim::LinearLR warmup(*s.opt, 0.1, 1.0, 5);
    optim::CosineAnnealingLR cosine(*s.opt, 7, 1e-4);
    CHECK(cosine.base_lrs() == std::vector<double>{0.1, 0.2});  // the groups' initial lrs, not the warm-up's
    optim::SequentialLR sched(*s.opt, {&warmup, &cosine}, /*milestones=*/{5});
    check_sequence(sched, *s.opt, kSequential);
  }
  {
    Setup s(1);
    optim::ExponentialLR a(*s.opt, 0.5);
    optim::StepLR b(*s.opt, 2, 0.1);
    optim::LinearLR c(*s.opt, 0.5, 1.0, 2);
    optim::SequentialLR sched(*s.opt, {&a, &b, &c}, {3, 6});
    check_sequence(sched, *s.opt, kSequential3);
  }
}

TEST_CASE("lr_scheduler: arguments out of their domain are refused") {
  Setup s(1);
  CHECK_THROWS_AS(optim::LinearLR(*s.opt, 1.5), std::invalid_argument);
  CHECK_THROWS_AS(optim::LinearLR(*s.opt, 0.5, -0.1), std::invalid_argument);
  CHECK_THROWS_AS(optim::StepLR(*s.opt, 0), std::invalid_argument);
  CHECK_THROWS_AS(optim::CosineAnnealingLR(*s.opt, 0), std::invalid_argument);
  optim::StepLR a(*s.opt, 2);
  CHECK_THROWS_AS(optim::SequentialLR(*s.opt, {&a}, {3}), std::invalid_argument);  // one milestone too many
  Setup other(1);
  optim::StepLR b(*other.opt, 2);
  CHECK_THROWS_AS(optim::SequentialLR(*s.opt, {&a, &b}, {3}), std::invalid_argument);  // another optimizer
}
