// nn::init and default initialisations, checked statistically over large draws with fixed seeds:
// normal_ and trunc_normal_ (mean, std, bounds), uniform_ bounds, Linear's U(-1/sqrt(in), 1/sqrt(in)),
// manual_seed reproducibility, and Embedding's N(0, 1) with the padding row zeroed.
#include <catch2/catch.hpp>
#include <microtorch/core/random.h>
#include <microtorch/microtorch.h>

#include <algorithm>
#include <cmath>

namespace mt = microtorch;
namespace init = mt::nn::init;

struct Stats {
  double mean = 0, std = 0, min = 0, max = 0;
};
static Stats stats_of(const mt::Tensor& t) {
  const auto v = t.to_vector<float>();
  Stats s;
  for (float x : v) s.mean += x;
  s.mean /= v.size();
  for (float x : v) s.std += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(s.std / (v.size() - 1));
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  return s;
}

// With n = 200000 draws the standard error of the mean is std / 447, of the std about std / 632:
// the margins below are about five standard errors.
TEST_CASE("init: normal_ has the asked mean and std") {
  mt::manual_seed(100);
  auto t = init::normal_(mt::empty({400, 500}), 0.5, 2.0);
  const Stats s = stats_of(t);
  CHECK(s.mean == Approx(0.5).margin(0.025));
  CHECK(s.std == Approx(2.0).margin(0.02));
  CHECK(s.max > 0.5 + 4 * 2.0);  // untruncated: tails beyond 4 sigma occur in 200000 draws
  auto small = init::normal_(mt::empty({200000}), 0.0, 0.02);
  CHECK(stats_of(small).std == Approx(0.02).margin(0.0002));
}

TEST_CASE("init: trunc_normal_(0, 1, -3, 3) stays in bounds with the truncated moments") {
  mt::manual_seed(101);
  auto t = init::trunc_normal_(mt::empty({200000}), 0.0, 1.0, -3.0, 3.0);
  const Stats s = stats_of(t);
  CHECK(s.min >= -3.0);
  CHECK(s.max <= 3.0);
  CHECK(s.max > 2.9);  // the whole interval is used
  CHECK(s.min < -2.9);
  CHECK(s.mean == Approx(0.0).margin(0.012));
  // std of N(0, 1) truncated to [-3, 3]: sqrt(1 - 6 phi(3) / (2 Phi(3) - 1)) = 0.98658
  CHECK(s.std == Approx(0.98658).margin(0.008));
  auto shifted = init::trunc_normal_(mt::empty({100000}), 1.0, 0.5, 0.0, 1.5);
  const Stats h = stats_of(shifted);
  CHECK(h.min >= 0.0);
  CHECK(h.max <= 1.5);
  CHECK_THROWS_AS(init::trunc_normal_(mt::empty({3}), 0.0, 1.0, 2.0, -2.0), std::invalid_argument);
}

// The mean of N(0, 1) truncated to [a, b]: (phi(a) - phi(b)) / (Phi(b) - Phi(a)), the tail mass by erfc.
static double truncated_mean(double a, double b) {
  const double phi_a = std::exp(-0.5 * a * a) / std::sqrt(2 * M_PI), phi_b = std::exp(-0.5 * b * b) / std::sqrt(2 * M_PI);
  const double mass = 0.5 * (std::erfc(a / std::sqrt(2.0)) - std::erfc(b / std::sqrt(2.0)));
  return (phi_a - phi_b) / mass;
}

TEST_CASE("init: trunc_normal_ returns at once for a window far in a tail, with the truncated mean") {
  mt::manual_seed(103);
  // [10, 11] holds 7.6e-24 of N(0, 1): rejection sampling would never finish.
  const Stats far = stats_of(init::trunc_normal_(mt::empty({20000}), 0.0, 1.0, 10.0, 11.0));
  CHECK(far.min >= 10.0);
  CHECK(far.max <= 11.0);
  CHECK(truncated_mean(10.0, 11.0) == Approx(10.0981).margin(1e-4));
  CHECK(far.mean == Approx(truncated_mean(10.0, 11.0)).margin(0.004));
  // The mirror image, and the same window through mean and std.
  const Stats low = stats_of(init::trunc_normal_(mt::empty({20000}), 0.0, 1.0, -11.0, -10.0));
  CHECK(low.max <= -10.0);
  CHECK(low.mean == Approx(-truncated_mean(10.0, 11.0)).margin(0.004));
  const Stats scaled = stats_of(init::trunc_normal_(mt::empty({20000}), 5.0, 0.5, 10.0, 10.5));
  CHECK(scaled.min >= 10.0);
  CHECK(scaled.mean == Approx(5.0 + 0.5 * truncated_mean(10.0, 11.0)).margin(0.002));
  // Beyond ~37 std Phi underflows; the tail's law is then t + Exp(1) / t, mean t + 1/t.
  const Stats beyond = stats_of(init::trunc_normal_(mt::empty({20000}), 0.0, 1.0, 40.0, 41.0));
  CHECK(beyond.min >= 40.0);
  CHECK(beyond.max <= 41.0);
  CHECK(beyond.mean == Approx(40.0 + 1.0 / 40.0).margin(0.002));
  // A point window, and an unbounded one (finite values only).
  CHECK(stats_of(init::trunc_normal_(mt::empty({100}), 0.0, 1.0, 0.25, 0.25)).max == 0.25);
  const Stats open = stats_of(init::trunc_normal_(mt::empty({100000}), 0.0, 1.0, -INFINITY, INFINITY));
  CHECK(std::isfinite(open.min));
  CHECK(std::isfinite(open.max));
  CHECK(open.std == Approx(1.0).margin(0.01));
  // A window of 2e-300 std is flat: uniform across it (mean 0, not an edge).
  const Stats flat = stats_of(init::trunc_normal_(mt::empty({20000}), 0.0, 1e300, -1.0, 1.0));
  CHECK(flat.mean == Approx(0.0).margin(0.02));
  CHECK(flat.std == Approx(1.0 / std::sqrt(3.0)).margin(0.01));
  // Half-open windows far out: values finite and inside.
  const Stats left = stats_of(init::trunc_normal_(mt::empty({1000}), 0.0, 1.0, -INFINITY, -38.4));
  CHECK(left.min >= -40.0);
  CHECK(left.max <= -38.4);
  const Stats right = stats_of(init::trunc_normal_(mt::empty({1000}), 0.0, 1.0, 50.0, INFINITY));
  CHECK(right.min >= 50.0);
  CHECK(right.max < 51.0);
}

TEST_CASE("init: normal_quantile inverts normal_cdf to ~1e-12, deep into the lower tail") {
  double worst = 0.0;
  // up to 3: above, p rounds near 1 and x is ill-conditioned
  for (double x = -37.0; x <= 3.0; x += 0.01) {
    const double back = mt::normal_quantile(mt::normal_cdf(x));
    worst = std::max(worst, std::fabs(back - x) / std::max(1.0, std::fabs(x)));
  }
  CHECK(worst < 1e-12);
  CHECK(mt::normal_quantile(0.975) == Approx(1.959963984540054).epsilon(1e-14));
  CHECK(mt::normal_quantile(0.5) == 0.0);
  CHECK(mt::normal_quantile(0.0) == -INFINITY);
}

TEST_CASE("init: uniform_ and zeros_ and constant_") {
  mt::manual_seed(102);
  auto t = init::uniform_(mt::empty({200000}), -0.25, 0.75);
  const Stats s = stats_of(t);
  CHECK(s.min >= -0.25);
  CHECK(s.max < 0.75);
  CHECK(s.min < -0.249);
  CHECK(s.max > 0.749);
  CHECK(s.mean == Approx(0.25).margin(0.004));
  CHECK(s.std == Approx(1.0 / std::sqrt(12.0)).margin(0.003));
  CHECK(init::zeros_(t).to_vector<float>() == std::vector<float>(200000, 0.0f));
  CHECK(init::constant_(mt::empty({3}), 1.5).to_vector<float>() == std::vector<float>(3, 1.5f));
}

TEST_CASE("init: Linear's default is U(-1/sqrt(in), 1/sqrt(in)) for weight and bias") {
  mt::manual_seed(103);
  mt::nn::Linear lin(mt::nn::LinearOptions(64, 3000));
  const double bound = 1.0 / 8.0;
  for (const auto& p : {lin.weight, lin.bias}) {
    const Stats s = stats_of(p);
    CHECK(s.min >= -bound);
    CHECK(s.max <= bound);
    CHECK(s.max > 0.98 * bound);  // not a narrower range
    CHECK(s.min < -0.98 * bound);
  }
  CHECK(stats_of(lin.weight).std == Approx(bound / std::sqrt(3.0)).margin(0.001));
}

TEST_CASE("init: manual_seed makes draws and modules reproducible") {
  mt::manual_seed(7);
  auto a = mt::randn({100});
  mt::nn::Embedding ea(mt::nn::EmbeddingOptions(20, 4));
  mt::manual_seed(7);
  auto b = mt::randn({100});
  mt::nn::Embedding eb(mt::nn::EmbeddingOptions(20, 4));
  CHECK(a.to_vector<float>() == b.to_vector<float>());
  CHECK(ea.weight.to_vector<float>() == eb.weight.to_vector<float>());
  mt::manual_seed(8);
  CHECK(mt::randn({100}).to_vector<float>() != a.to_vector<float>());
}

TEST_CASE("init: Embedding is N(0, 1) with the padding row zeroed") {
  mt::manual_seed(104);
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(2001, 100).padding_idx(-1));
  const auto w = emb.weight.to_vector<float>();
  CHECK(std::all_of(w.end() - 100, w.end(), [](float x) { return x == 0.0f; }));
  const Stats s = stats_of(mt::tensor(std::vector<float>(w.begin(), w.end() - 100), {2000, 100}));
  CHECK(s.mean == Approx(0.0).margin(0.012));
  CHECK(s.std == Approx(1.0).margin(0.01));
  CHECK(s.max > 4.0);  // not truncated
  emb.reset();
  CHECK(std::all_of(emb.weight.data_ptr<float>() + 2000 * 100, emb.weight.data_ptr<float>() + 2001 * 100,
                    [](float x) { return x == 0.0f; }));
}
