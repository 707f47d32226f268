// Comparisons (kBool results, broadcasting, scalars, mixed dtypes), tril and triu, masked_fill and where:
// values by hand, broadcasting corners, dtypes, gradients to the kept places by gradcheck.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>

#include "helpers.h"

namespace mt = microtorch;
using namespace helpers;

TEST_CASE("comparisons: kBool results, broadcasting, scalars, mixed dtypes") {
  mt::Tensor a = mt::tensor({1.f, 5.f, 3.f}), b = mt::tensor({2.f, 2.f, 3.f});
  CHECK((a == b).to_vector<bool>() == std::vector<bool>{false, false, true});
  CHECK((a != b).to_vector<bool>() == std::vector<bool>{true, true, false});
  CHECK((a < b).to_vector<bool>() == std::vector<bool>{true, false, false});
  CHECK((a <= b).to_vector<bool>() == std::vector<bool>{true, false, true});
  CHECK((a > b).to_vector<bool>() == std::vector<bool>{false, true, false});
  CHECK((a >= b).dtype() == mt::kBool);
  mt::Tensor col = mt::tensor({1.f, 3.f}, {2, 1});
  mt::Tensor g = col < a;  // (2, 1) vs (3) -> (2, 3)
  CHECK(g.shape() == mt::Shape{2, 3});
  CHECK(g.to_vector<bool>() == std::vector<bool>{false, true, true, false, true, false});
  CHECK((mt::zeros({0, 3}) == a).shape() == mt::Shape{0, 3});
  CHECK((mt::full({}, 2.0f) > a).shape() == mt::Shape{3});
  CHECK((mt::arange(4) >= 2).to_vector<bool>() == std::vector<bool>{false, false, true, true});
  CHECK((mt::arange(3) == a).to_vector<bool>() == std::vector<bool>{false, false, false});
  CHECK((mt::arange(3) < 1.5).to_vector<bool>() == std::vector<bool>{true, true, false});  // promoted to float
  CHECK(((a > 2) == (b > 2)).to_vector<bool>() == std::vector<bool>{true, false, true});  // bool vs bool
  CHECK_THROWS_AS(a == mt::zeros({2}), std::invalid_argument);
  CHECK_FALSE((a.detach().requires_grad_(true) > 0).requires_grad());
}

TEST_CASE("tril and triu: diagonal offsets, batches, dtypes, gradient masked") {
  mt::Tensor x = iota({3, 3}) + 1.0f;
  require_values(mt::tril(x), {3, 3}, {1, 0, 0, 4, 5, 0, 7, 8, 9});
  require_values(mt::triu(x), {3, 3}, {1, 2, 3, 0, 5, 6, 0, 0, 9});
  require_values(mt::tril(x, -1), {3, 3}, {0, 0, 0, 4, 0, 0, 7, 8, 0});
  require_values(mt::triu(x, 1), {3, 3}, {0, 2, 3, 0, 0, 6, 0, 0, 0});
  require_values(mt::triu(iota({2, 3}), -5), {2, 3}, {0, 1, 2, 3, 4, 5});
  CHECK(mt::triu(mt::ones({3, 3}), 1).sum().item<double>() == 3);
  CHECK(mt::tril(mt::ones({2, 2, 3})).sum().item<double>() == 2 * 3);  // 1 + 2 per (2, 3) matrix
  CHECK(mt::tril(mt::ones({2, 2}) > 0).to_vector<bool>() == std::vector<bool>{true, false, true, true});
  CHECK(mt::tril(mt::zeros({0, 2})).shape() == mt::Shape{0, 2});
  CHECK_THROWS_AS(mt::tril(mt::ones({3})), std::invalid_argument);
  mt::manual_seed(22);
  require_gradcheck("tril", [](const Inputs& a) { return mt::tril(a[0], 1); }, {leaf({2, 3, 4})});
  require_gradcheck("triu", [](const Inputs& a) { return mt::triu(a[0], -1); }, {leaf({4, 3})});
}

TEST_CASE("masked_fill and where: broadcasting masks, gradients to the kept places") {
  mt::Tensor x = iota({2, 3});
  mt::Tensor row_mask = mt::tensor({1.f, 0.f, 1.f}) > 0;  // (3) broadcast over rows
  require_values(x.masked_fill(row_mask, -1.0f), {2, 3}, {-1, 1, -1, -1, 4, -1});
  require_values(mt::masked_fill(x, mt::full({}, 1.0f) > 0, 7.0f), {2, 3}, {7, 7, 7, 7, 7, 7});
  CHECK(mt::arange(3).masked_fill(row_mask, 9).to_vector<int64_t>() == std::vector<int64_t>{9, 1, 9});
  CHECK_THROWS_AS(x.masked_fill(mt::ones({3}), 0), std::invalid_argument);   // float mask
  CHECK_THROWS_AS(x.masked_fill(mt::ones({2, 2, 3}) > 0, 0), std::invalid_argument);  // would grow x
  CHECK_THROWS_AS(mt::arange(3).masked_fill(row_mask, 1e30f), std::invalid_argument);
  mt::Tensor c = mt::tensor({1.f, 0.f}, {2, 1}) > 0;
  require_values(mt::where(c, x, mt::full({}, -5.0f)), {2, 3}, {0, 1, 2, -5, -5, -5});
  require_values(mt::where(row_mask, mt::zeros({2, 1}), mt::ones({3})), {2, 3}, {0, 1, 0, 0, 1, 0});
  CHECK_THROWS_AS(mt::where(mt::ones({2}), x, x), std::invalid_argument);
  CHECK_THROWS_AS(mt::where(c, x, mt::zeros({4})), std::invalid_argument);
  mt::manual_seed(23);
  require_gradcheck("masked_fill", [row_mask](const Inputs& a) { return a[0].masked_fill(row_mask, 2.0f) * a[0]; },
                    {leaf({2, 3})});
  require_gradcheck("where", [c](const Inputs& a) { return mt::where(c, a[0], a[1]); }, {leaf({2, 3}), leaf({3})});
  require_gradcheck("where 0-d", [c](const Inputs& a) { return mt::where(c, a[0], a[1]); }, {leaf({}), leaf({1, 3})});
}
