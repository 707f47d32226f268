// nn::init's Kaiming and Xavier fills (PyTorch's fan and gain rules: calculate_gain and the fans printed by
// torch 1.13; the draws checked by their bounds and spread), F::pad in constant mode (values and gradient as
// torch's F.pad), F::one_hot as int64, and clip_grad_value_.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "helpers.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
namespace init = mt::nn::init;

namespace {

// The largest |value| and the standard deviation (about 0) of t's values.
std::pair<double, double> spread(const mt::Tensor& t) {
  double sq = 0.0, top = 0.0;
  for (float v : t.to_vector<float>()) {
    sq += double(v) * v;
    top = std::max(top, std::fabs(double(v)));
  }
  return {top, std::sqrt(sq / static_cast<double>(t.numel()))};
}

}  // namespace

TEST_CASE("init: calculate_gain and the fans are PyTorch's") {
  CHECK(init::calculate_gain(mt::kLinear) == 1.0);
  CHECK(init::calculate_gain(mt::kConv1D) == 1.0);
  CHECK(init::calculate_gain(mt::kSigmoid) == 1.0);
  CHECK(init::calculate_gain(mt::kTanh) == 1.6666666666666667);
  CHECK(init::calculate_gain(mt::kReLU) == 1.4142135623730951);
  CHECK(init::calculate_gain(mt::kLeakyReLU) == 1.4141428569978354);
  CHECK(init::calculate_gain(mt::kLeakyReLU, 0.2) == 1.3867504905630728);
  CHECK(init::calculate_gain(mt::kSELU) == 0.75);
  CHECK(init::calculate_fan_in_and_fan_out(mt::empty({4, 3, 5, 2})) == std::pair<int64_t, int64_t>{30, 40});
  CHECK(init::calculate_fan_in_and_fan_out(mt::empty({200, 100})) == std::pair<int64_t, int64_t>{100, 200});
  CHECK_THROWS_AS(init::calculate_fan_in_and_fan_out(mt::empty({5})), std::invalid_argument);
  CHECK_THROWS_AS(init::kaiming_normal_(mt::empty({5})), std::invalid_argument);
}

TEST_CASE("init: Kaiming and Xavier draw within their bounds with the expected spread") {
  mt::manual_seed(0);
  const int64_t out = 200, in = 100;
  mt::Tensor w = mt::empty({out, in});
  // kaiming_uniform_ default (a 0, fan_in, leaky_relu): bound sqrt(2) sqrt(3 / 100); std = bound / sqrt(3)
  init::kaiming_uniform_(w);
  const double kb = std::sqrt(2.0) * std::sqrt(3.0 / in);
  auto [top, std] = spread(w);
  CHECK(top <= kb);
  CHECK(top > 0.99 * kb);
  CHECK(std == Approx(kb / std::sqrt(3.0)).epsilon(0.02));
  // kaiming_normal_ for tanh over fan_out: std 5/3 / sqrt(200)
  init::kaiming_normal_(w, 0.0, mt::kFanOut, mt::kTanh);
  std::tie(top, std) = spread(w);
  CHECK(std == Approx((5.0 / 3) / std::sqrt(double(out))).epsilon(0.02));
  // xavier_uniform_: bound gain sqrt(6 / 300)
  init::xavier_uniform_(w, 2.0);
  const double xb = 2.0 * std::sqrt(6.0 / (in + out));
  std::tie(top, std) = spread(w);
  CHECK(top <= xb);
  CHECK(top > 0.99 * xb);
  init::xavier_normal_(w);
  std::tie(top, std) = spread(w);
  CHECK(std == Approx(std::sqrt(2.0 / (in + out))).epsilon(0.02));
  // a parameter that requires grad is filled in place, off the tape
  mt::nn::Linear lin(mt::nn::LinearOptions(3, 4));
  const mt::Tensor before = lin.weight;
  init::kaiming_normal_(lin.weight, 0.0, mt::kFanIn, mt::kReLU);
  CHECK(lin.weight.is_same(before));
  CHECK(lin.weight.requires_grad());
}

TEST_CASE("F::pad: constant mode over any dims, crops, and the gradient, as torch's F.pad") {
  const mt::Tensor x = mt::arange(6, mt::kFloat32).view({2, 3}).requires_grad_(true);
  const mt::Tensor y = F::pad(x, F::PadFuncOptions({1, 2, 0, 1}).value(-1.0));
  helpers::require_values(y, {3, 6}, {-1, 0, 1, 2, -1, -1, -1, 3, 4, 5, -1, -1, -1, -1, -1, -1, -1, -1});
  (y * mt::arange(18, mt::kFloat32).view({3, 6})).sum().backward();
  helpers::require_values(x.grad(), {2, 3}, {1, 2, 3, 7, 8, 9});
  const mt::Tensor y2 = F::pad(mt::arange(24, mt::kFloat32).view({2, 3, 4}), F::PadFuncOptions({-1, 1, 2, -1, 1, 0}));
  helpers::require_values(y2, {3, 4, 4}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  0,  0,  0,
                                         0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 5,  6,  7,  0,
                                         0, 0, 0, 0, 0, 0, 0, 0, 13, 14, 15, 0, 17, 18, 19, 0});
  const mt::Tensor ids = F::pad(mt::tensor({3, 4}), F::PadFuncOptions({1, 0}).value(7));  // int64 stays int64
  CHECK(ids.dtype() == mt::kInt64);
  CHECK(ids.to_vector<int64_t>() == std::vector<int64_t>{7, 3, 4});
  CHECK_THROWS_AS(F::pad(x, F::PadFuncOptions({1})), std::invalid_argument);
  CHECK_THROWS_AS(F::pad(x, F::PadFuncOptions({1, 1, 1, 1, 1, 1})), std::invalid_argument);
  CHECK_THROWS_AS(F::pad(x, F::PadFuncOptions({-4, 2})), std::invalid_argument);
  CHECK_THROWS_AS(F::pad(x, F::PadFuncOptions({1, 1}).mode(mt::kReflect)), std::invalid_argument);
}

TEST_CASE("F::one_hot is int64, and num_classes -1 counts the classes, as PyTorch") {
  const mt::Tensor oh = F::one_hot(mt::tensor({0, 2, 3, 1}, {2, 2}));
  CHECK(oh.dtype() == mt::kInt64);
  CHECK(oh.shape() == mt::Shape{2, 2, 4});
  CHECK(oh.to_vector<int64_t>() == std::vector<int64_t>{1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0});
  CHECK(F::one_hot(mt::tensor({0, 2}), 4).shape() == mt::Shape{2, 4});
  CHECK(mt::one_hot(mt::tensor(std::vector<int32_t>{1}, {1}), 2).to_vector<int64_t>() == std::vector<int64_t>{0, 1});
  CHECK_THROWS_AS(F::one_hot(mt::tensor({0, 4}), 4), std::out_of_range);
  CHECK_THROWS_AS(F::one_hot(mt::tensor({0, 1}), -2), std::invalid_argument);
  CHECK_THROWS_AS(F::one_hot(mt::ones({2})), std::invalid_argument);
}

TEST_CASE("clip_grad_value_ clamps every gradient in place, row gradients as their dense sum") {
  mt::Tensor w = mt::zeros({3, 2}).requires_grad_(true);
  (w * mt::tensor({-3.f, 0.5f, 2.f, -0.1f, 7.f, 1.f}, {3, 2})).sum().backward();
  mt::Tensor e = mt::zeros({4, 2}).requires_grad_(true);
  // ids 1, 1: the row's gradient is 2 * 0.75 = 1.5, clamped to 1 (not 0.75 + 0.75 after clamping each)
  (F::embedding(mt::tensor({1, 1}), e, F::EmbeddingFuncOptions().sparse(true)) * 0.75f).sum().backward();
  mt::nn::utils::clip_grad_value_({w, e}, 1.0);
  CHECK(w.grad().to_vector<float>() == std::vector<float>{-1.f, 0.5f, 1.f, -0.1f, 1.f, 1.f});
  CHECK(e.grad().to_vector<float>() == std::vector<float>{0, 0, 1, 1, 0, 0, 0, 0});
  CHECK_THROWS_AS(mt::nn::utils::clip_grad_value_(w, -1.0), std::invalid_argument);
}
