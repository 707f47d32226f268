// The tape: which tensors are recorded, where gradients land and how they accumulate, when backward refuses
// (freed graph, in-place change, NaN under DetectAnomalyGuard), detach, and that gradcheck catches a wrong
// backward. Expected gradients are hand-derived.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>

#include "helpers.h"

namespace mt = microtorch;
using namespace helpers;

namespace {

// y = a * b whose backward is right for a and, when `wrong_at` >= 0, off by one at b[wrong_at].
mt::Tensor custom_mul(const mt::Tensor& a, const mt::Tensor& b, int64_t wrong_at) {
  mt::Tensor y = a.detach() * b.detach();
  mt::record(y, "custom_mul", {a, b}, [a, b, wrong_at](const mt::Tensor& dy) {
    mt::accumulate_grad(a, dy * b);
    mt::Tensor db = dy * a;
    if (wrong_at >= 0) db.data_ptr<float>()[wrong_at] += 1.0f;
    mt::accumulate_grad(b, db);
  });
  return y;
}

}  // namespace

TEST_CASE("requires_grad propagates from any input, constants stay leaves") {
  mt::Tensor x = leaf_of({1, 2});
  mt::Tensor c = mt::ones({2});
  REQUIRE_FALSE(c.requires_grad());
  REQUIRE(x.requires_grad());
  REQUIRE(x.is_leaf());

  mt::Tensor y = c * x;
  REQUIRE(y.requires_grad());
  REQUIRE_FALSE(y.is_leaf());
  REQUIRE(mt::tanh(x + c).sum().requires_grad());
  mt::Tensor z = c * 2.0f + c;
  REQUIRE_FALSE(z.requires_grad());
  REQUIRE(z.is_leaf());

  mt::Tensor& self = c.requires_grad_(true);
  REQUIRE(&self == &c);
  REQUIRE(c.requires_grad());
  c.requires_grad_(false);
  REQUIRE_FALSE(c.requires_grad());
}

TEST_CASE("only leaves keep grad()") {
  mt::Tensor x = leaf_of({1, 2, 3});
  REQUIRE_FALSE(x.grad().defined());  // nothing has reached it yet
  mt::Tensor h = x * 2.0f;
  mt::Tensor y = (h * h).sum();  // dy/dx = 8x
  y.backward();
  require_values(x.grad(), {8, 16, 24});
  REQUIRE_FALSE(h.grad().defined());
  REQUIRE_FALSE(y.grad().defined());
}

TEST_CASE("gradients accumulate across backward calls until zero_grad") {
  mt::Tensor x = leaf_of({1, -2});
  (x * x).sum().backward();  // 2x
  require_values(x.grad(), {2, -4});
  (x * x).sum().backward();
  require_values(x.grad(), {4, -8});
  (x * 3.0f).sum().backward();
  require_values(x.grad(), {7, -5});
  mt::zero_grad(x);
  REQUIRE_FALSE(x.grad().defined());
  (x * x).sum().backward();
  require_values(x.grad(), {2, -4});
}

TEST_CASE("each leaf's gradient is its own: writing one changes no other, nor the seed") {
  mt::Tensor a = leaf_of({1, 2});
  mt::Tensor b = leaf_of({3, 4});
  mt::Tensor seed = mt::ones({2});
  (a + b).backward(seed);
  a.grad().data_ptr<float>()[0] = 100.0f;  // as an optimizer scaling a gradient in place would
  require_values(b.grad(), {1, 1});
  {
    mt::NoGradGuard no_grad;
    seed.copy_(mt::zeros({2}));
  }
  require_values(b.grad(), {1, 1});
}

TEST_CASE("backward() on a scalar, backward(grad_out) on any shape") {
  mt::Tensor x = mt::tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}).requires_grad_(true);
  (x * x).mean().backward();  // 2x / 6
  require_values(x.grad(), {1 / 3.0f, 2 / 3.0f, 1, 4 / 3.0f, 5 / 3.0f, 2});
  mt::zero_grad(x);

  mt::Tensor g = mt::tensor(std::vector<float>{1, 0, -1, 2, 0.5f, 3}, {2, 3});
  (x * 3.0f).backward(g);  // 3 g
  require_values(x.grad(), {3, 0, -3, 6, 1.5f, 9});
  mt::zero_grad(x);
  x.backward(g);  // a leaf itself: its gradient is the seed
  require_values(x.grad(), {1, 0, -1, 2, 0.5f, 3});

  REQUIRE_THROWS_AS((x * 2.0f).backward(), std::invalid_argument);  // not a scalar: grad_out needed
  REQUIRE_THROWS_AS(mt::ones({2}).sum().backward(), std::runtime_error);  // nothing requires grad
}

TEST_CASE("a second backward through a freed graph throws") {
  mt::Tensor x = leaf_of({1, 2});
  mt::Tensor y = (x * x).sum();
  y.backward();
  REQUIRE_THROWS_AS(y.backward(), std::runtime_error);
  mt::Tensor h = mt::exp(x);
  mt::Tensor y1 = h.sum(), y2 = (h * 2.0f).sum();
  y1.backward();  // frees exp's node, which y2 also goes through
  REQUIRE_THROWS_WITH(y2.backward(), Catch::Contains("exp") && Catch::Contains("freed"));
}

TEST_CASE("NoGradGuard records nothing and restores grad mode") {
  mt::Tensor x = leaf_of({1, 2});
  {
    mt::NoGradGuard no_grad;
    REQUIRE_FALSE(mt::GradMode::is_enabled());
    mt::Tensor y = mt::matmul(x.view({1, 2}), mt::ones({2, 3})).sum();
    REQUIRE_FALSE(y.requires_grad());
    REQUIRE(y.is_leaf());
    REQUIRE_THROWS_AS(y.backward(), std::runtime_error);
    {
      mt::NoGradGuard nested;
    }
    REQUIRE_FALSE(mt::GradMode::is_enabled());
  }
  REQUIRE(mt::GradMode::is_enabled());
  REQUIRE((x * 2.0f).requires_grad());
  REQUIRE_FALSE(x.grad().defined());
}

TEST_CASE("detach shares storage and leaves the tape") {
  mt::Tensor x = mt::ones({2}).requires_grad_(true);
  mt::Tensor y = x * 2.0f;
  mt::Tensor d = y.detach();
  REQUIRE(y.requires_grad());
  REQUIRE_FALSE(d.requires_grad());
  REQUIRE(d.is_leaf());
  REQUIRE(d.data_ptr<float>() == y.data_ptr<float>());
  require_values(d, {2, 2});
}

TEST_CASE("detach cuts the tape") {
  mt::Tensor x = leaf_of({2, -3});
  mt::Tensor y = (x.detach() * x).sum();  // only the right factor is differentiated: dy/dx = x
  y.backward();
  require_values(x.grad(), {2, -3});
  REQUIRE_THROWS_AS((x.detach() * 2.0f).sum().backward(), std::runtime_error);
}

TEST_CASE("a tensor used twice gets both contributions") {
  mt::Tensor x = leaf_of({1, -2, 3});
  (x * x).sum().backward();
  require_values(x.grad(), {2, -4, 6});
  mt::zero_grad(x);
  (x + x).sum().backward();
  require_values(x.grad(), {2, 2, 2});
  mt::zero_grad(x);
  mt::Tensor h = x * 2.0f;  // a diamond: y = h*h + h, dy/dx = (2h + 1) * 2
  (h * h + h).sum().backward();
  require_values(x.grad(), {10, -14, 26});
  mt::zero_grad(x);
  (x - x * x / x).sum().backward();  // identically 0: 1 - (2x/x - x^2/x^2) = 0
  require_values(x.grad(), {0, 0, 0});
}

TEST_CASE("an in-place write after use makes backward throw") {
  mt::Tensor x = leaf_of({1, 2});
  mt::Tensor w = mt::tensor(std::vector<float>{3, 4}, {2});
  mt::Tensor y = (x * w).sum();
  {
    mt::NoGradGuard no_grad;
    w.copy_(mt::zeros({2}));
  }
  REQUIRE_THROWS_WITH(y.backward(), Catch::Contains("mul") && Catch::Contains("in-place"));
  REQUIRE_FALSE(x.grad().defined());  // checked before any gradient is written

  mt::Tensor y2 = mt::log(x).sum();  // log's backward reads x (tanh's reads its output, and PyTorch allows that)
  {
    mt::NoGradGuard no_grad;
    x.view({2, 1}).copy_(mt::ones({2, 1}));  // through a view of the same storage
  }
  REQUIRE_THROWS_AS(y2.backward(), std::runtime_error);

  mt::Tensor unrelated = mt::zeros({2});
  mt::Tensor y3 = (x * 5.0f).sum();
  {
    mt::NoGradGuard no_grad;
    unrelated.copy_(mt::ones({2}));
  }
  y3.backward();
  require_values(x.grad(), {5, 5});
}

TEST_CASE("DetectAnomalyGuard names the op whose backward made NaN or Inf") {
  REQUIRE_FALSE(mt::autograd::DetectAnomalyGuard::is_enabled());
  // d log(x) = dy / x: at x = 0 with dy = 0 (the * 0) that is 0 / 0 = NaN, and 1 / 0 = Inf with dy = 1
  {
    mt::autograd::DetectAnomalyGuard anomaly;
    REQUIRE(mt::autograd::DetectAnomalyGuard::is_enabled());
    mt::Tensor x = leaf_of({0, 1});
    REQUIRE_THROWS_WITH((mt::log(x) * 0.0f).sum().backward(), Catch::Contains("'log'") && Catch::Contains("NaN"));
    mt::Tensor z = leaf_of({1, 0});
    REQUIRE_THROWS_WITH(mt::log(z).sum().backward(),
                        Catch::Contains("'log'") && Catch::Contains("Inf") && Catch::Contains("index 1"));
    mt::Tensor fine = leaf_of({1, 2});
    mt::log(fine).sum().backward();
    require_values(fine.grad(), {1, 0.5f});
  }
  REQUIRE_FALSE(mt::autograd::DetectAnomalyGuard::is_enabled());
  mt::Tensor x = leaf_of({0, 1});
  (mt::log(x) * 0.0f).sum().backward();  // without the guard the NaN goes through quietly
  REQUIRE(std::isnan(x.grad().to_vector<float>()[0]));
}

TEST_CASE("gradcheck passes a correct custom op") {
  mt::manual_seed(20);
  const Inputs xs{mt::randn({4}).requires_grad_(true), mt::randn({4}).requires_grad_(true)};
  auto result = mt::autograd::gradcheck([](const Inputs& x) { return custom_mul(x[0], x[1], -1); }, xs, "custom_mul");
  INFO(result.message());
  REQUIRE(result.ok);
}

TEST_CASE("gradcheck fails on a deliberately wrong gradient and names input and index") {
  mt::Tensor a = mt::tensor(std::vector<float>{0.5f, -1.0f, 1.5f, 2.0f}, {4}).requires_grad_(true);
  mt::Tensor b = mt::tensor(std::vector<float>{1.0f, 0.25f, -0.75f, 0.5f}, {4}).requires_grad_(true);
  auto result = mt::autograd::gradcheck([](const Inputs& x) { return custom_mul(x[0], x[1], 2); }, {a, b}, "bad_mul");
  INFO(result.message());
  REQUIRE_FALSE(result.ok);
  REQUIRE(result.input == 1);
  REQUIRE(result.index == 2);
  REQUIRE(result.worst_ratio > 1.0);
  REQUIRE(result.analytic - result.numeric == Approx(1.0).margin(0.02));  // the injected error
  REQUIRE_THAT(result.message(), Catch::Contains("bad_mul") && Catch::Contains("FAILED"));
  REQUIRE_FALSE(a.grad().defined());  // the caller's tensors are left alone

  // a gradient that is only missing a factor 2 (d x^2 = x, not 2x) is caught too
  auto half = mt::autograd::gradcheck(
      [](const Inputs& x) {
        mt::Tensor y = x[0].detach() * x[0].detach();
        mt::record(y, "half_square", {x[0]}, [v = x[0]](const mt::Tensor& dy) { mt::accumulate_grad(v, dy * v); });
        return y;
      },
      {a}, "half_square");
  INFO(half.message());
  REQUIRE_FALSE(half.ok);
  REQUIRE(half.input == 0);
}

