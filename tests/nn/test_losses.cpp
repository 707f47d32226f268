// Losses against PyTorch 1.13 (torch.nn.functional, the same inputs, printed with %.9g): cross_entropy with
// reduction, label_smoothing and class weights (incl. ignored targets and (N, C, d) logits), nll_loss, mse,
// l1, binary_cross_entropy (probabilities of exactly 0 and 1 included), with logits and pos_weight; values and
// gradients, and the module forms.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace mt = microtorch;
namespace F = mt::nn::functional;

namespace {

void check_close(const mt::Tensor& got, const std::vector<float>& want) {
  const std::vector<float> v = got.to_vector<float>();
  REQUIRE(v.size() == want.size());
  for (size_t i = 0; i < v.size(); ++i) {
    INFO("element " << i);
    CHECK(v[i] == Approx(want[i]).epsilon(2e-6).margin(2e-7));
  }
}

// torch: (torch.arange(15.).view(3,5) * 0.7 - 2).sin() * 2
const std::vector<float> logits = {-1.81859481f, -1.92711639f, -1.12928498f, 0.199666649f, 1.43471217f,
                                   1.99498999f,  1.61699307f,  0.478498489f, -0.8850407f,  -1.83233166f,
                                   -1.91784859f, -1.10137141f, 0.233097658f, 1.45793724f,  1.99708676f};

struct Case {
  std::string name;
  F::CrossEntropyFuncOptions options;
  std::vector<float> loss, grad;  // grad of (loss * (1, 2, ...)).sum()
};

}  // namespace

TEST_CASE("losses: cross_entropy with reduction, label_smoothing and class weights, as PyTorch") {
  const mt::Tensor t = mt::tensor({1, 4, -100});
  const mt::Tensor w = mt::tensor({0.5f, 1.0f, 2.0f, 1.5f, 0.25f});
  const std::vector<Case> cases = {
      {"mean, label_smoothing 0.1", F::CrossEntropyFuncOptions().label_smoothing(0.1), {3.95020175f},
       {0.00340824225f, -0.447970659f, 0.0167137701f, 0.0909000859f, 0.336948514f, 0.242192298f, 0.162810385f,
        0.0453513116f, 0.00415631942f, -0.454510301f, 0, 0, 0, 0, 0}},
      {"sum, weight", F::CrossEntropyFuncOptions().reduction(mt::kSum).weight(w), {4.85519457f},
       {0.0268164873f, -0.97594136f, 0.0534275472f, 0.201800197f, 0.693897128f, 0.126096159f, 0.0864051953f,
        0.0276756566f, 0.00707816007f, -0.247255161f, 0, 0, 0, 0, 0}},
      {"none, label_smoothing 0.2, weight",
       F::CrossEntropyFuncOptions().reduction(mt::kNone).label_smoothing(0.2).weight(w),
       {3.5373106f, 1.39358926f, 0.0f},
       {0.00708465232f, -0.815700769f, -0.0260381754f, 0.1438182f, 0.690836072f, 0.373595417f, 0.203409061f,
        -0.0692238361f, -0.0967836305f, -0.410996944f, 0, 0, 0, 0, 0}},
      {"mean, weight, label_smoothing 0.3", F::CrossEntropyFuncOptions().weight(w).label_smoothing(0.3), {3.97500181f},
       {-0.00222501322f, -0.58846432f, -0.0526168346f, 0.0918617621f, 0.551444471f, 0.173718765f, 0.087483339f,
        -0.052604571f, -0.0609014407f, -0.147696078f, 0, 0, 0, 0, 0}},
      {"mean, weight", F::CrossEntropyFuncOptions().weight(w), {3.88415575f},
       {0.0214531906f, -0.780753076f, 0.04274204f, 0.161440164f, 0.555117726f, 0.100876927f, 0.0691241547f,
        0.0221405253f, 0.00566252833f, -0.197804123f, 0, 0, 0, 0, 0}},
      {"none", F::CrossEntropyFuncOptions().reduction(mt::kNone), {3.72726011f, 4.51173782f, 0.0f},
       {0.0268164873f, -0.97594136f, 0.0534275472f, 0.201800197f, 0.693897128f, 1.00876927f, 0.691241562f,
        0.221405253f, 0.0566252805f, -1.97804129f, 0, 0, 0, 0, 0}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const mt::Tensor x = mt::tensor(logits, {3, 5}).requires_grad_(true);
    const mt::Tensor loss = F::cross_entropy(x, t, c.options);
    check_close(loss, c.loss);
    const mt::Tensor ramp = mt::arange(loss.numel(), mt::kFloat32).view(loss.shape()) + 1.0f;
    (loss * ramp).sum().backward();
    check_close(x.grad(), c.grad);
  }
}

TEST_CASE("losses: cross_entropy over (N, C, d) with an ignored target and label smoothing, and all ignored is NaN") {
  const mt::Tensor x = mt::tensor({3.f, 1.86483002f, -0.681606114f, -2.71221614f, -2.69027519f, -0.6323874f,
                                   1.90407777f, 2.99957585f, 1.82505441f, -0.730630755f, -2.73339081f, -2.66757393f},
                                  {2, 3, 2})
                           .requires_grad_(true);
  const mt::Tensor loss = F::cross_entropy(x, mt::tensor({0, 2, 1, -100}, {2, 2}),
                                           F::CrossEntropyFuncOptions().label_smoothing(0.25));
  check_close(loss, {1.49062979f});
  loss.backward();
  check_close(x.grad(), {0.0462995768f, 0.277305186f, -0.0196167007f, -0.0246399287f, -0.0266828295f, -0.252665281f,
                         0.144603282f, 0.0f, -0.118494518f, 0.0f, -0.0261087548f, 0.0f});
  const mt::Tensor none = mt::tensor({-100, -100, -100});
  CHECK(std::isnan(F::cross_entropy(mt::tensor(logits, {3, 5}), none,
                                    F::CrossEntropyFuncOptions().label_smoothing(0.1)).item<float>()));
  CHECK_THROWS_AS(F::cross_entropy(mt::tensor(logits, {3, 5}), none, F::CrossEntropyFuncOptions().label_smoothing(1.5)),
                  std::invalid_argument);
  CHECK_THROWS_AS(F::cross_entropy(mt::tensor(logits, {3, 5}), mt::tensor({0, 5, 1}),
                                   F::CrossEntropyFuncOptions().reduction(mt::kSum)),
                  std::invalid_argument);
}

TEST_CASE("losses: nll_loss with class weights, as PyTorch, and the module forms") {
  // torch: F.log_softmax(logits, 1)
  const std::vector<float> lp = {-3.61873841f, -3.72726011f, -2.92942882f, -1.60047722f, -0.365431607f,
                                 -0.684416175f, -1.0624131f, -2.20090771f, -3.56444693f, -4.51173782f,
                                 -4.51358747f, -3.69711041f, -2.36264133f, -1.13780165f, -0.598652184f};
  const mt::Tensor x = mt::tensor(lp, {3, 5}).requires_grad_(true);
  const mt::Tensor t = mt::tensor({1, 4, -100});
  const mt::Tensor w = mt::tensor({0.5f, 1.0f, 2.0f, 1.5f, 0.25f});
  const mt::Tensor loss = F::nll_loss(x, t, F::NLLLossFuncOptions().weight(w));
  check_close(loss, {3.88415575f});
  loss.backward();
  check_close(x.grad(), {0, -0.800000012f, 0, 0, 0, 0, 0, 0, 0, -0.200000003f, 0, 0, 0, 0, 0});
  CHECK(std::isnan(F::nll_loss(x, mt::tensor({-100, -100, -100})).item<float>()));
  CHECK_THROWS_AS(F::nll_loss(x, mt::tensor({0, 1})), std::invalid_argument);  // shape
  CHECK_THROWS_AS(F::nll_loss(x, mt::tensor({0, 7, 1})), std::invalid_argument);

  mt::nn::CrossEntropyLoss ce(mt::nn::CrossEntropyLossOptions().weight(w));
  check_close(ce(mt::tensor(logits, {3, 5}), t), {3.88415575f});
  mt::nn::NLLLoss nll(mt::nn::NLLLossOptions().weight(w));
  check_close(nll(x, t), {3.88415575f});
  mt::nn::MSELoss mse{mt::nn::MSELossOptions(mt::kSum)};  // braces: with parentheses this declares a function
  check_close(mse(mt::tensor({1.f, 2.f}), mt::tensor({0.f, 4.f})), {5.0f});
}

TEST_CASE("losses: nll_loss leaves a -inf outside the target out, and reduction none is a tensor of its own") {
  const float inf = std::numeric_limits<float>::infinity();
  const mt::Tensor w = mt::tensor({2.0f, 0.5f, 1.0f}), t = mt::tensor({1, 0, -100});
  const std::vector<std::string> reductions{"none", "sum", "mean"};
  // torch 1.13: F.nll_loss(x, t, weight=w, reduction=...), then .sum().backward()
  const std::vector<std::vector<float>> want{{0.5f, 1.0f, 0.0f}, {1.5f}, {0.6f}};
  const std::vector<float> scale{1.0f, 1.0f, 0.4f};  // the gradient of the mean is the sum's over 2.5
  for (size_t i = 0; i < reductions.size(); ++i) {
    INFO(reductions[i]);
    const mt::Tensor x = mt::tensor(std::vector<float>{-inf, -1, -2, -0.5f, -inf, -3, -1, -2, -0.25f}, {3, 3}).requires_grad_(true);
    const mt::Reduction r = i == 0 ? mt::kNone : i == 1 ? mt::kSum : mt::kMean;
    const mt::Tensor loss = F::nll_loss(x, t, F::NLLLossFuncOptions().weight(w).reduction(r));
    check_close(loss, want[i]);
    CHECK_FALSE(loss.is_view());
    loss.sum().backward();
    check_close(x.grad(), {0, -0.5f * scale[i], 0, -2.0f * scale[i], 0, 0, 0, 0, 0});
  }
  const mt::Tensor per_row = F::cross_entropy(mt::randn({4, 3}), mt::tensor({0, 2, 1, 1}),
                                              F::CrossEntropyFuncOptions().reduction(mt::kNone));
  CHECK(per_row.shape() == mt::Shape{4});
  CHECK_FALSE(per_row.is_view());
}

TEST_CASE("losses: mse_loss and l1_loss, mean and sum, as PyTorch (l1's gradient is 0 where they agree)") {
  const mt::Tensor b = mt::tensor({0.0f, -1.0f, 1.0f, 2.0f, 0.5f, 0.5f}, {2, 3});
  struct Row {
    bool mse;
    mt::Reduction reduction;
    float loss;
    std::vector<float> grad;
  };
  const std::vector<Row> rows = {
      {true, mt::kMean, 0.458333343f, {0.166666672f, 0, 0.333333343f, -0.166666672f, -0.166666672f, -0.333333343f}},
      {true, mt::kSum, 2.75f, {1, 0, 2, -1, -1, -2}},
      {false, mt::kMean, 0.583333313f, {0.166666672f, 0, 0.166666672f, -0.166666672f, -0.166666672f, -0.166666672f}},
      {false, mt::kSum, 3.5f, {1, 0, 1, -1, -1, -1}},
  };
  for (const Row& r : rows) {
    const mt::Tensor a = mt::tensor({0.5f, -1.0f, 2.0f, 1.5f, 0.0f, -0.5f}, {2, 3}).requires_grad_(true);
    const mt::Tensor loss = r.mse ? F::mse_loss(a, b, F::MSELossFuncOptions(r.reduction))
                                  : F::l1_loss(a, b, F::L1LossFuncOptions(r.reduction));
    check_close(loss, {r.loss});
    loss.backward();
    check_close(a.grad(), r.grad);
  }
  CHECK(F::mse_loss(mt::ones({2, 3}), b, F::MSELossFuncOptions(mt::kNone)).shape() == mt::Shape{2, 3});
}

TEST_CASE("losses: binary_cross_entropy stays finite at 0 and 1, and with logits and pos_weight, as PyTorch") {
  const mt::Tensor p = mt::tensor({0.1f, 0.5f, 0.9f, 0.0f, 1.0f, 0.3f}).requires_grad_(true);
  const mt::Tensor y = mt::tensor({0.0f, 1.0f, 1.0f, 0.0f, 0.0f, 0.7f});
  const mt::Tensor loss = F::binary_cross_entropy(p, y, F::BinaryCrossEntropyFuncOptions().weight(
                                                              mt::tensor({1.0f, 2.0f, 0.5f, 1.0f, 1.0f, 3.0f})));
  check_close(loss, {17.3989468f});
  loss.backward();
  check_close(p.grad(), {0.185185194f, -0.666666687f, -0.092592597f, 0.0f, 1.66666666e+11f, -0.952380836f});
  CHECK_THROWS_AS(F::binary_cross_entropy(mt::tensor({1.5f}), mt::tensor({1.0f})), std::invalid_argument);
  CHECK_THROWS_AS(F::binary_cross_entropy(mt::tensor({0.5f, 0.5f}), mt::tensor({1.0f})), std::invalid_argument);

  const mt::Tensor yz = mt::tensor({0.0f, 1.0f, 0.5f, 1.0f, 0.0f, 1.0f}, {2, 3});
  const mt::Tensor z = mt::tensor({-3.0f, -0.5f, 0.0f, 0.5f, 2.0f, 40.0f}, {2, 3}).requires_grad_(true);
  const mt::Tensor with_pos = F::binary_cross_entropy_with_logits(
      z, yz, F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(mt::tensor({1.0f, 2.0f, 0.5f})).reduction(mt::kSum));
  check_close(with_pos, {5.11760712f});
  with_pos.backward();
  check_close(z.grad(), {0.0474258736f, -1.24491858f, 0.125f, -0.377540648f, 0.880797029f, 0.0f});
  const mt::Tensor z2 = z.detach().clone().requires_grad_(true);
  const mt::Tensor weighted = F::binary_cross_entropy_with_logits(
      z2, yz, F::BinaryCrossEntropyWithLogitsFuncOptions().weight(mt::tensor({2.0f, 1.0f, 1.0f})));
  check_close(weighted, {0.806580126f});
  weighted.backward();
  check_close(z2.grad(), {0.0158086251f, -0.103743218f, 0.0f, -0.125846878f, 0.146799505f, 0.0f});
}
