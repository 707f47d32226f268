// nn::BatchNorm1d and F::batch_norm against PyTorch 1.13 (nn.BatchNorm1d, the same inputs and weights): outputs,
// gradients, running statistics over two batches, eval() on them, (N, C, L) inputs, momentum None; gradcheck.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>
#include <vector>

#include "helpers.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using helpers::Inputs;
using helpers::leaf;
using helpers::require_gradcheck;
using helpers::require_values;

namespace {

// torch: (torch.arange(12.).view(4,3) * 0.37 - 1.1).sin() * 3, and so on (printed with %.9g)
const std::vector<float> x1 = {-2.67362213f, -2.00060892f, -1.05682278f, 0.0299994722f, 1.1127615f, 2.04491639f,
                               2.70030141f,  2.99021339f,  2.87541389f,  2.37144065f,   1.54650426f, 0.512254715f};
const std::vector<float> x2 = {2.91067314f, 1.70603871f, -0.0440165997f, -0.987559915f, -0.395696521f, 1.27435493f,
                               2.73246431f, 2.85223031f, 1.54113269f,    -0.187995315f, -0.999386072f, -0.266234636f};

mt::Tensor cos_weights(const mt::Shape& shape) {
  std::vector<float> w;
  for (int64_t i = 0; i < mt::shape_numel(shape); ++i) w.push_back(std::cos(static_cast<float>(i)));
  return mt::tensor(w, shape);
}

}  // namespace

TEST_CASE("BatchNorm1d: train() output, gradients and running statistics as PyTorch's") {
  mt::nn::BatchNorm1d bn(mt::nn::BatchNorm1dOptions(3).momentum(0.1));
  {
    mt::NoGradGuard no_grad;
    bn.weight.copy_(mt::tensor({1.5f, -0.5f, 2.0f}));
    bn.bias.copy_(mt::tensor({0.1f, 0.2f, -0.3f}));
  }
  const mt::Tensor x = mt::tensor(x1, {4, 3}).requires_grad_(true);
  const mt::Tensor y = bn(x);
  require_values(y, {4, 3}, {-2.18262506f, 1.00035989f, -3.16098738f, -0.301488489f, 0.144896373f, 0.965006828f,
                             1.55646479f, -0.370972753f, 2.06975102f, 1.32764876f, 0.0257164966f, -1.07376981f});
  (y * cos_weights({4, 3})).sum().backward();
  require_values(x.grad(), {4, 3}, {0.402237564f, -0.121579818f, -0.176876709f, -0.748916984f, 0.163176537f,
                                    0.341974705f, 0.838548303f, -0.249690339f, -0.339232177f, -0.491868854f,
                                    0.208093628f, 0.174134165f});
  require_values(bn.weight.grad(), {3}, {-1.07016551f, -0.368466407f, 0.600601137f});
  require_values(bn.bias.grad(), {3}, {0.0590475202f, -0.198510528f, -0.273558974f});
  require_values(bn.running_mean, {3}, {0.060702987f, 0.0912217572f, 0.109394051f});
  require_values(bn.running_var, {3}, {1.51968575f, 1.34150541f, 1.20140469f});  // the unbiased variance
  CHECK(bn.num_batches_tracked.dtype() == mt::kInt64);
  CHECK(bn.num_batches_tracked.dim() == 0);
  CHECK(bn.num_batches_tracked.item<int64_t>() == 1);
  bn(mt::tensor(x2, {4, 3}));
  require_values(bn.running_mean, {3}, {0.166322246f, 0.161179245f, 0.161085561f});
  require_values(bn.running_var, {3}, {1.76635623f, 1.53067803f, 1.16469204f});
  CHECK(bn.num_batches_tracked.item<int64_t>() == 2);

  // eval(): the running statistics, which stay as they are
  bn.eval();
  const mt::Tensor x3 = mt::tensor({0.5f, -1.0f, 2.0f, 1.0f, 0.0f, -2.0f}, {2, 3}).requires_grad_(true);
  const mt::Tensor y3 = bn(x3);
  require_values(y3, {2, 3}, {0.476598144f, 0.669273376f, 3.10787868f, 1.04091227f, 0.265138209f, -4.3049264f});
  (y3 * mt::tensor({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}, {2, 3})).sum().backward();
  require_values(x3.grad(), {2, 3}, {1.12862813f, -0.808270395f, 5.55960369f, 4.51451254f, -2.0206759f, 11.1192074f});
  CHECK(bn.num_batches_tracked.item<int64_t>() == 2);
  require_values(bn.running_mean, {3}, {0.166322246f, 0.161179245f, 0.161085561f});
}

TEST_CASE("BatchNorm1d: (N, C, L) input and momentum None (the plain average of the batches)") {
  mt::nn::BatchNorm1d bn(mt::nn::BatchNorm1dOptions(2).momentum(std::nullopt));
  std::vector<float> v4, v5;
  for (int i = 0; i < 12; ++i) {
    v4.push_back(std::sin(0.53f * static_cast<float>(i)));
    v5.push_back(std::cos(0.77f * static_cast<float>(i)));
  }
  const mt::Tensor x = mt::tensor(v4, {2, 2, 3}).requires_grad_(true);
  const mt::Tensor y = bn(x);
  require_values(y, {2, 2, 3}, {0.0251556784f, 0.879766405f, 1.49988401f, 1.23955953f, 1.05573893f, 0.579013586f,
                                -0.0397561938f, -0.88483119f, -1.48021877f, -1.26122069f, -1.05337262f, -0.559718728f});
  (y * mt::arange(12, mt::kFloat32).view({2, 2, 3})).sum().backward();
  require_values(x.grad(), {2, 2, 3}, {-6.66002846f, -1.50346935f, 2.70205593f, -0.557663262f, 0.034188021f,
                                       -0.425132632f, 3.21978712f, 1.48292792f, 0.758726537f, -2.02316093f,
                                       -0.0256958194f, 2.9974649f});
  require_values(bn.weight.grad(), {2}, {-14.3945713f, -17.204916f});
  bn(mt::tensor(v5, {2, 2, 3}));
  require_values(bn.running_mean, {2}, {0.265543103f, -0.166771963f});
  require_values(bn.running_var, {2}, {0.321375668f, 0.614579558f});
  CHECK(bn.num_batches_tracked.item<int64_t>() == 2);
}

TEST_CASE("BatchNorm1d: buffers are in state_dict, not in parameters, and options and bad input") {
  mt::nn::BatchNorm1d bn(mt::nn::BatchNorm1dOptions(4).eps(1e-3));
  std::vector<std::string> names;
  for (const auto& entry : bn.state_dict()) names.push_back(entry.first);
  CHECK(names == std::vector<std::string>{"weight", "bias", "running_mean", "running_var", "num_batches_tracked"});
  CHECK(bn.parameters().size() == 2);
  CHECK(bn.buffers().size() == 3);
  // one value per channel cannot be normalised in train(): refused before any state moves
  CHECK_THROWS_AS(bn(mt::ones({1, 4})), std::invalid_argument);
  CHECK(bn.num_batches_tracked.item<int64_t>() == 0);
  CHECK_THROWS_AS(bn(mt::ones({2, 3})), std::invalid_argument);       // 3 channels, not 4
  CHECK_THROWS_AS(bn(mt::ones({2, 4, 1, 1})), std::invalid_argument);  // 4-d
  CHECK_THROWS_AS(mt::nn::BatchNorm1d(mt::nn::BatchNorm1dOptions(0)), std::invalid_argument);
  mt::nn::BatchNorm1d plain(mt::nn::BatchNorm1dOptions(4).affine(false).track_running_stats(false));
  CHECK(plain.parameters().empty());
  CHECK(plain.state_dict().empty());
  plain.eval();  // no running statistics: still the batch's (mean 2 apart, biased var 1)
  const mt::Tensor y = plain(mt::tensor({1.f, 2.f, 3.f, 4.f, 3.f, 4.f, 5.f, 6.f}, {2, 4}));
  const float k = 1.0f / std::sqrt(1.0f + 1e-5f);
  require_values(y, {2, 4}, {-k, -k, -k, -k, k, k, k, k});
}

TEST_CASE("F::batch_norm: gradcheck in training and eval, with and without weight and bias") {
  mt::manual_seed(3);
  const mt::Tensor rm = mt::rand({3}), rv = mt::rand({3}) + 0.5f;
  require_gradcheck("batch_norm train", [](const Inputs& a) {
    return F::batch_norm(a[0], {}, {}, F::BatchNormFuncOptions().weight(a[1]).bias(a[2]).training(true));
  }, {leaf({5, 3}), leaf({3}), leaf({3})});
  require_gradcheck("batch_norm train (N, C, L)", [](const Inputs& a) {
    return F::batch_norm(a[0], {}, {}, F::BatchNormFuncOptions().weight(a[1]).training(true));
  }, {leaf({2, 3, 4}), leaf({3})});
  require_gradcheck("batch_norm eval", [rm, rv](const Inputs& a) {
    return F::batch_norm(a[0], rm, rv, F::BatchNormFuncOptions().weight(a[1]).bias(a[2]));
  }, {leaf({4, 3}), leaf({3}), leaf({3})});
  CHECK_THROWS_AS(F::batch_norm(mt::ones({2, 3}), {}, {}), std::invalid_argument);  // eval needs running stats
}
