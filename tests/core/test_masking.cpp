// API version 2's unary ops (sqrt, rsqrt, pow, sigmoid, abs) with PyTorch's gradients at edge points, and the
// comparisons, tril/triu, masked_fill and where: broadcasting corners, dtypes, gradcheck.
#include <cmath>

#include "helpers.h"

namespace mt = microtorch;
using namespace ops_v2;

static float grad_at(mt::Tensor (*f)(const mt::Tensor&), float x) {
  mt::Tensor t = mt::full({1}, x).requires_grad_(true);
  f(t).sum().backward();
  return t.grad().item<float>();
}

TEST_CASE("v2 unary: values, gradcheck, PyTorch's gradients at the edges") {
  mt::Tensor x = mt::tensor({0.25f, 1.f, 4.f});
  require_values(mt::sqrt(x), {3}, {0.5f, 1, 2});
  require_values(mt::rsqrt(x), {3}, {2, 1, 0.5f});
  require_values(mt::pow(x, 2.0), {3}, {0.0625f, 1, 16});
  require_values(mt::pow(x, -1), {3}, {4, 1, 0.25f});
  require_values(mt::pow(x, 0.5), {3}, {0.5f, 1, 2});
  require_values(mt::pow(x, 0), {3}, {1, 1, 1});
  require_values(mt::sigmoid(mt::tensor({0.f, 100.f, -100.f})), {3}, {0.5f, 1, 0});
  require_values(mt::abs(mt::tensor({-2.f, 0.f, 3.f})), {3}, {2, 0, 3});
  CHECK(grad_at([](const mt::Tensor& t) { return mt::abs(t); }, 0.0f) == 0.0f);  // abs'(0) = 0
  CHECK(grad_at([](const mt::Tensor& t) { return mt::abs(t); }, -3.0f) == -1.0f);
  CHECK(std::isinf(grad_at([](const mt::Tensor& t) { return mt::sqrt(t); }, 0.0f)));
  CHECK(std::isinf(grad_at([](const mt::Tensor& t) { return mt::pow(t, 2.0 / 3.0); }, 0.0f)));  // x^(-1/3) at 0
  CHECK(grad_at([](const mt::Tensor& t) { return mt::pow(t, 2.0); }, 0.0f) == 0.0f);
  CHECK(grad_at([](const mt::Tensor& t) { return mt::pow(t, 0.0); }, 0.0f) == 0.0f);
  CHECK(grad_at([](const mt::Tensor& t) { return mt::sigmoid(t); }, 0.0f) == 0.25f);
  CHECK(std::isnan(mt::sqrt(mt::full({}, -1.0f)).item<float>()));
  CHECK(mt::sqrt(mt::zeros({0})).numel() == 0);
  CHECK_THROWS_AS(mt::sqrt(mt::arange(3)), std::invalid_argument);
  mt::manual_seed(21);
  require_gradcheck("sqrt", [](const Inputs& a) { return mt::sqrt(a[0]); }, {leaf({2, 3}, 0.5f, 2.0f)});
  require_gradcheck("rsqrt", [](const Inputs& a) { return mt::rsqrt(a[0]); }, {leaf({2, 3}, 0.5f, 2.0f)});
  for (double e : {2.0, 3.0, -1.0, 0.5, 1.7, -2.5})
    require_gradcheck("pow " + std::to_string(e), [e](const Inputs& a) { return mt::pow(a[0], e); }, {leaf({5}, 0.5f, 2.0f)});
  require_gradcheck("sigmoid", [](const Inputs& a) { return mt::sigmoid(a[0]); }, {leaf({2, 3}, -3.0f, 3.0f)});
  require_gradcheck("abs", [](const Inputs& a) { return mt::abs(a[0]); }, {mt::tensor({-1.f, 0.5f, -0.3f, 2.f}).requires_grad_(true)});
}

TEST_CASE("v2 comparisons: kBool results, broadcasting, scalars, mixed dtypes") {
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

TEST_CASE("v2 tril and triu: diagonal offsets, batches, dtypes, gradient masked") {
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

TEST_CASE("v2 masked_fill and where: broadcasting masks, gradients to the kept places") {
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
