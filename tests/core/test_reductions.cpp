// Reductions: sum and mean (over everything, over a dim, keepdim), var (biased and unbiased), max and argmax,
// topk. Values by hand, gradients by hand and by gradcheck, edge cases (size-1 dims, 0-d, NaN) and bad input.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>

#include "helpers.h"

namespace mt = microtorch;
using namespace helpers;

TEST_CASE("sum and mean over everything") {
  mt::Tensor s = a23().sum();
  REQUIRE(s.dim() == 0);
  REQUIRE(s.item<float>() == Approx(21.0f));
  REQUIRE(mt::sum(a23()).item<float>() == Approx(21.0f));
  REQUIRE(a23().mean().item<float>() == Approx(3.5f));
  REQUIRE(mt::mean(a23()).dim() == 0);

  mt::Tensor a = a23().requires_grad_(true);
  a.mean().backward();
  require_values(a.grad(), std::vector<float>(6, 1.0f / 6.0f));

  mt::manual_seed(14);
  require_gradcheck("sum", [](const Inputs& x) { return x[0].sum(); }, {leaf({3, 4})});
  require_gradcheck("mean", [](const Inputs& x) { return x[0].mean(); }, {leaf({3, 4})});
}

TEST_CASE("sum and mean over one dim, keepdim true and false") {
  require_values(a23().sum(0), {5, 7, 9});
  REQUIRE(a23().sum(0).shape() == mt::Shape{3});
  require_values(a23().sum(1), {6, 15});
  REQUIRE(a23().sum(1).shape() == mt::Shape{2});
  REQUIRE(a23().sum(0, true).shape() == mt::Shape{1, 3});
  REQUIRE(a23().sum(-1, true).shape() == mt::Shape{2, 1});
  require_values(a23().sum(-1, true), {6, 15});
  require_values(a23().mean(0), {2.5f, 3.5f, 4.5f});
  require_values(mt::mean(a23(), 1, true), {2, 5});
  REQUIRE(mt::mean(a23(), 1, true).shape() == mt::Shape{2, 1});

  // hand-derived: d/da of sum_j w[j] * mean(a, 0)[j] = w[j] / 2 in every row
  mt::Tensor a = a23().requires_grad_(true);
  a.mean(0).backward(mt::tensor(std::vector<float>{1, 2, 3}, {3}));
  require_values(a.grad(), {0.5f, 1, 1.5f, 0.5f, 1, 1.5f});

  mt::manual_seed(15);
  const Inputs x3{leaf({2, 3, 4})};
  for (int64_t dim : {0, 1, 2, -1})
    for (bool keepdim : {false, true}) {
      INFO("dim " << dim << " keepdim " << keepdim);
      require_gradcheck("sum_dim", [=](const Inputs& x) { return x[0].sum(dim, keepdim); }, x3);
      require_gradcheck("mean_dim", [=](const Inputs& x) { return x[0].mean(dim, keepdim); }, x3);
    }
}

TEST_CASE("var: biased and unbiased, keepdim, any dim, gradcheck") {
  mt::Tensor x = mt::tensor({1.f, 2.f, 3.f, 4.f, 0.f, 8.f}, {2, 3});
  require_values(x.var(1, false, false), {2}, {2.0f / 3.0f, 32.0f / 3.0f});  // means 2 and 4
  require_values(x.var(1, true, true), {2, 1}, {1.0f, 16.0f});
  require_values(x.var(0, false, false), {3}, {2.25f, 1.0f, 6.25f});
  require_values(mt::var(x, -2, true), {3}, {4.5f, 2.0f, 12.5f});
  CHECK(std::isnan(x.var(0, true).narrow(0, 0, 1).var(0, true).item<float>()));  // one element, unbiased: NaN
  require_values(mt::full({}, 3.0f).var(0, false), {}, {0});
  CHECK_THROWS_AS(x.var(2), std::out_of_range);
  CHECK_THROWS_AS(mt::arange(3).var(0), std::invalid_argument);
  mt::manual_seed(11);
  require_gradcheck("var biased", [](const Inputs& a) { return a[0].var(1, false, true); }, {leaf({2, 4, 3})});
  require_gradcheck("var unbiased", [](const Inputs& a) { return a[0].var(-1, true, false); }, {leaf({3, 4})});
}

TEST_CASE("max and argmax over a dim: first maximum, NaN wins, gradient to that position") {
  mt::Tensor x = mt::tensor({1.f, 5.f, 5.f, -2.f, 0.f, -1.f}, {2, 3});
  auto [v, i] = mt::max(x, 1);
  require_values(v, {2}, {5, 0});
  CHECK(i.dtype() == mt::kInt64);
  CHECK(i.to_vector<int64_t>() == std::vector<int64_t>{1, 1});  // ties: the first
  auto [v0, i0] = mt::max(x, 0, true);
  require_values(v0, {1, 3}, {1, 5, 5});
  CHECK(i0.to_vector<int64_t>() == std::vector<int64_t>{0, 0, 0});
  CHECK(mt::argmax(x, -1, false).to_vector<int64_t>() == std::vector<int64_t>{1, 1});
  CHECK(mt::argmax(x, 0, true).shape() == mt::Shape{1, 3});
  CHECK(mt::argmax(mt::tensor({1.f, NAN, 7.f}), 0).item<int64_t>() == 1);
  CHECK(mt::argmax(mt::full({}, 2.0f), 0).item<int64_t>() == 0);
  CHECK_THROWS_AS(mt::max(x, 2), std::out_of_range);
  CHECK_THROWS_AS(mt::max(mt::zeros({0, 3}), 0), std::invalid_argument);
  mt::Tensor w = x.detach().requires_grad_(true);
  std::get<0>(mt::max(w, 1)).sum().backward();
  require_values(w.grad(), {2, 3}, {0, 1, 0, 0, 1, 0});
  mt::manual_seed(12);
  require_gradcheck("max", [](const Inputs& a) { return std::get<0>(mt::max(a[0], 1)); }, {leaf({3, 4, 2})});
}

TEST_CASE("topk: largest first, sorted, ties by index, gradient scattered back") {
  mt::Tensor x = mt::tensor({3.f, 1.f, 4.f, 1.f, 5.f, 9.f, 2.f, 6.f}, {2, 4});
  auto [v, i] = mt::topk(x, 3, -1);
  require_values(v, {2, 3}, {4, 3, 1, 9, 6, 5});
  CHECK(i.to_vector<int64_t>() == std::vector<int64_t>{2, 0, 1, 1, 3, 0});  // 1 at index 1 before index 3
  auto [v0, i0] = mt::topk(x, 1, 0);
  require_values(v0, {1, 4}, {5, 9, 4, 6});
  CHECK(i0.to_vector<int64_t>() == std::vector<int64_t>{1, 1, 0, 1});
  CHECK(std::get<0>(mt::topk(x, 0, 1)).shape() == mt::Shape{2, 0});
  CHECK(std::get<1>(mt::topk(mt::tensor({1.f, NAN, 3.f}), 1)).item<int64_t>() == 1);  // NaN is the largest
  CHECK_THROWS_AS(mt::topk(x, 5, 1), std::out_of_range);
  CHECK_THROWS_AS(mt::topk(x, -1, 1), std::out_of_range);
  CHECK_THROWS_AS(mt::topk(x, 1, 2), std::out_of_range);
  mt::manual_seed(13);
  require_gradcheck("topk", [](const Inputs& a) { return std::get<0>(mt::topk(a[0], 2, 1)); }, {leaf({2, 4, 3})});
}

