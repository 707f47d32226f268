// F::cross_entropy: values and gradients by hand (large logits stay finite), ignore_index, gradcheck with and
// without ignored targets, (N, V, d1, d2) logits as the (N * d1 * d2, V) rows, unbatched (V) logits, and the
// targets it refuses, naming what was wrong and leaving the logits untouched.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>

#include "helpers.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using namespace helpers;

TEST_CASE("cross_entropy: values and gradient by hand") {
  // row 0: logits (0, 0), target 0: loss ln 2, grad (-1/2, 1/2)
  // row 1: logits (0, ln 3), target 1: p = (1/4, 3/4), loss -ln(3/4), grad (1/4, -1/4)
  auto logits = mt::tensor(std::vector<float>{0, 0, 0, static_cast<float>(std::log(3.0))}, {2, 2});
  logits.requires_grad_(true);
  auto loss = F::cross_entropy(logits, mt::tensor(std::vector<int64_t>{0, 1}, {2}));
  CHECK(loss.dim() == 0);
  CHECK(loss.item<float>() == Approx((std::log(2.0) - std::log(0.75)) / 2).epsilon(1e-6));
  loss.backward();
  const mt::Tensor want = mt::tensor(std::vector<float>{-0.25f, 0.25f, 0.125f, -0.125f}, {2, 2});
  CHECK(mismatch(logits.grad(), want, 1e-7, 1e-6, "dlogits") == "");
  // large logits stay finite (log-sum-exp with the max subtracted)
  auto big = F::cross_entropy(mt::tensor(std::vector<float>{1000, 0, -1000}, {1, 3}),
                              mt::tensor(std::vector<int64_t>{1}, {1}));
  CHECK(big.item<float>() == Approx(1000.0f));
}

TEST_CASE("cross_entropy: ignore_index rows give no loss and no gradient and leave the mean") {
  mt::manual_seed(4);
  auto logits = mt::randn({4, 6}).requires_grad_(true);
  auto all = F::cross_entropy(logits, mt::tensor(std::vector<int64_t>{2, 3, 5, 0}, {4}), F::CrossEntropyFuncOptions().ignore_index(3));
  all.backward();
  // by hand: mean over rows 0, 2, 3 of lse - logit[target]
  const auto v = logits.to_vector<float>();
  double want = 0;
  const int64_t target[4] = {2, 3, 5, 0};
  for (int n : {0, 2, 3}) {
    double s = 0;
    for (int j = 0; j < 6; ++j) s += std::exp(double(v[n * 6 + j]));
    want += std::log(s) - v[n * 6 + target[n]];
  }
  CHECK(all.item<float>() == Approx(want / 3).epsilon(1e-6));
  const auto g = logits.grad().to_vector<float>();
  for (int j = 0; j < 6; ++j) CHECK(g[6 + j] == 0.0f);
  double row0 = 0;
  for (int j = 0; j < 6; ++j) row0 += g[j];
  CHECK(row0 == Approx(0).margin(1e-7));  // softmax - one_hot sums to zero
  // default ignore_index -100; every target ignored gives NaN, as PyTorch's 0/0
  auto none = F::cross_entropy(mt::randn({2, 3}), mt::tensor(std::vector<int64_t>{-100, -100}, {2}));
  CHECK(std::isnan(none.item<float>()));
}

TEST_CASE("cross_entropy: gradcheck, with and without ignored targets") {
  mt::manual_seed(6);
  auto logits = mt::randn({5, 7}).requires_grad_(true);
  for (int64_t ignore : {-100, 4}) {
    auto targets = mt::tensor(std::vector<int64_t>{4, 0, 6, 4, 1}, {5});
    auto r = mt::autograd::gradcheck(
        [&](const std::vector<mt::Tensor>& in) {
          return F::cross_entropy(in[0], targets, F::CrossEntropyFuncOptions().ignore_index(ignore));
        },
        {logits}, "cross_entropy");
    INFO("ignore_index " << ignore << ": " << r.message());
    CHECK(r.ok);
  }
}

TEST_CASE("cross_entropy over (N, V, d1, d2): the (N * d1 * d2, V) rows' loss, and gradcheck with an ignored target") {
  mt::manual_seed(6);
  const mt::Tensor logits = randn_leaf({2, 5, 3, 2});
  const mt::Tensor targets = mt::tensor(std::vector<int64_t>{0, 4, -100, 2, 1, 1, 3, 3, 0, -100, 4, 2}, {2, 3, 2});
  const auto lv = logits.to_vector<float>();
  std::vector<float> rows(lv.size());  // rows[(n, p), c] = logits[n, c, p], p over (3, 2)
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 5; ++c)
      for (int64_t p = 0; p < 6; ++p) rows[(n * 6 + p) * 5 + c] = lv[(n * 5 + c) * 6 + p];
  const float want = F::cross_entropy(mt::tensor(rows, {12, 5}), targets.view({12})).item<float>();
  CHECK(F::cross_entropy(logits, targets).item<float>() == Approx(want).epsilon(1e-6));
  require_gradcheck("cross_entropy nd", [targets](const Inputs& in) { return F::cross_entropy(in[0], targets); },
                    {logits});
  const mt::Tensor one = mt::tensor(std::vector<float>{1, 2, 3}, {3});  // unbatched: (V) logits, () target
  CHECK(F::cross_entropy(one, mt::tensor(std::vector<int64_t>{2}, {})).item<float>() ==
        Approx(std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3.0).epsilon(1e-6));
  CHECK_THROWS_AS(F::cross_entropy(logits, targets.view({2, 6})), std::invalid_argument);
}

TEST_CASE("cross_entropy errors: targets out of range or of the wrong shape or dtype") {
  auto logits = mt::randn({3, 5}).requires_grad_(true);
  const Snapshot before(logits);
  auto t = [](std::vector<int64_t> v, mt::Shape s) { return mt::tensor(v, s); };
  CHECK(rejects<std::invalid_argument>([&] { F::cross_entropy(logits, t({0, 5, 1}, {3})); }, {"5", "position 1"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { F::cross_entropy(logits, t({0, 1, -2}, {3})); }, {"-2", "position 2"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { F::cross_entropy(logits, t({0, 1, 2, 3}, {4})); }, {"[4]", "3"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { F::cross_entropy(logits, t({0, 1, 2}, {3, 1})); }, {"[3, 1]"}) == "");
  CHECK(rejects<std::invalid_argument>(
            [&] { F::cross_entropy(logits, mt::tensor(std::vector<float>{0, 1, 2}, {3})); }, {"float32"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { F::cross_entropy(mt::randn({15}), t({0, 1, 2}, {3})); }, {"[15]"}) == "");
  // ignore_index is the one value outside [0, V) that is allowed
  CHECK_NOTHROW(F::cross_entropy(logits, t({0, -100, 4}, {3})));
  CHECK(Snapshot(logits) == before);
}
