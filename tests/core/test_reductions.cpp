// API version 2's var, max, argmax, topk and multinomial: values by hand or by a loop, gradcheck, edge
// cases (size-1 dims, 0-d, NaN) and bad input.
#include <algorithm>
#include <cmath>
#include <map>

#include "helpers.h"

namespace mt = microtorch;
using namespace ops_v2;

TEST_CASE("v2 var: biased and unbiased, keepdim, any dim, gradcheck") {
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

TEST_CASE("v2 max and argmax over a dim: first maximum, NaN wins, gradient to that position") {
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

TEST_CASE("v2 topk: largest first, sorted, ties by index, gradient scattered back") {
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

TEST_CASE("v2 multinomial: frequencies, without replacement a permutation, rows, validation") {
  mt::manual_seed(14);
  const auto s = mt::multinomial(mt::tensor({1.f, 0.f, 3.f}), 8000, true).to_vector<int64_t>();
  std::map<int64_t, int> count;
  for (int64_t c : s) ++count[c];
  CHECK(count[1] == 0);  // weight 0 is never drawn
  CHECK(count[2] > 5700);  // expected 6000, sd ~39
  CHECK(count[2] < 6300);
  for (int rep = 0; rep < 20; ++rep) {
    auto p = mt::multinomial(mt::tensor({0.2f, 0.3f, 0.1f, 0.4f}), 4, false).to_vector<int64_t>();
    std::sort(p.begin(), p.end());
    REQUIRE(p == std::vector<int64_t>{0, 1, 2, 3});
  }
  mt::Tensor rows = mt::multinomial(mt::tensor({0.f, 1.f, 1.f, 0.f}, {2, 2}), 3, true);
  CHECK(rows.shape() == mt::Shape{2, 3});
  CHECK(rows.to_vector<int64_t>() == std::vector<int64_t>{1, 1, 1, 0, 0, 0});
  // the same seed draws the same samples
  mt::manual_seed(5);
  const auto a = mt::multinomial(mt::tensor({1.f, 1.f, 1.f}), 10, true).to_vector<int64_t>();
  mt::manual_seed(5);
  CHECK(mt::multinomial(mt::tensor({1.f, 1.f, 1.f}), 10, true).to_vector<int64_t>() == a);
  CHECK_THROWS_AS(mt::multinomial(mt::tensor({1.f, -1.f}), 1, true), std::invalid_argument);
  CHECK_THROWS_AS(mt::multinomial(mt::tensor({1.f, NAN}), 1, true), std::invalid_argument);
  CHECK_THROWS_AS(mt::multinomial(mt::tensor({0.f, 0.f}), 1, true), std::invalid_argument);
  CHECK_THROWS_AS(mt::multinomial(mt::tensor({1.f, 1.f}), 3, false), std::invalid_argument);
  CHECK_THROWS_AS(mt::multinomial(mt::tensor({1.f, 0.f}), 2, false), std::invalid_argument);
  CHECK_THROWS_AS(mt::multinomial(mt::tensor({1.f, 1.f}), 0, true), std::invalid_argument);
  CHECK_THROWS_AS(mt::multinomial(mt::ones({1, 1, 2}), 1, true), std::invalid_argument);
  CHECK_THROWS_AS(mt::multinomial(mt::arange(3), 1, true), std::invalid_argument);
}
