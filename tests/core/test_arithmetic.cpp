// The arithmetic ops (add, sub, mul, div, neg and their scalar forms): values against hand-derived numbers,
// gradients against central finite differences, broadcasting gradients against hand-derived sums; + - * /
// backward hands a fresh same-shape gradient straight to the leaf (core/ops/binary.cpp), which adopts it instead
// of copying, so no two gradients, nor a gradient and the caller's seed, may share a buffer (each is written in
// place later by an optimizer or a clip); and 0-d, size-1 and 0-size operands.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>
#include <limits>

#include "helpers.h"

namespace mt = microtorch;
using namespace helpers;

static mt::Tensor b23() { return mt::tensor(std::vector<float>{0.5f, -1, 2, 3, 0.25f, -2}, {2, 3}); }

TEST_CASE("add, sub, mul, div, neg: values") {
  require_values(a23() + b23(), {1.5f, 1, 5, 7, 5.25f, 4});
  require_values(a23() - b23(), {0.5f, 3, 1, 1, 4.75f, 8});
  require_values(a23() * b23(), {0.5f, -2, 6, 12, 1.25f, -12});
  require_values(a23() / b23(), {2, -2, 1.5f, 4.0f / 3.0f, 20, -3});
  require_values(mt::add(a23(), b23()), (a23() + b23()).to_vector<float>());
  require_values(mt::sub(a23(), b23()), (a23() - b23()).to_vector<float>());
  require_values(mt::mul(a23(), b23()), (a23() * b23()).to_vector<float>());
  require_values(mt::div(a23(), b23()), (a23() / b23()).to_vector<float>());
  require_values(mt::neg(a23()), {-1, -2, -3, -4, -5, -6});
  require_values(-a23(), {-1, -2, -3, -4, -5, -6});
  REQUIRE((a23() + b23()).shape() == mt::Shape{2, 3});
}

TEST_CASE("binary ops: gradcheck") {
  mt::manual_seed(10);
  const Inputs ab{leaf({2, 3}), leaf({2, 3})};
  require_gradcheck("add", [](const Inputs& x) { return x[0] + x[1]; }, ab);
  require_gradcheck("sub", [](const Inputs& x) { return x[0] - x[1]; }, ab);
  require_gradcheck("mul", [](const Inputs& x) { return x[0] * x[1]; }, ab);
  require_gradcheck("div", [](const Inputs& x) { return x[0] / x[1]; }, {leaf({2, 3}), leaf({2, 3}, 0.5f, 2.0f)});
  require_gradcheck("neg", [](const Inputs& x) { return mt::neg(x[0]); }, {leaf({4})});
  // only one side requiring grad
  require_gradcheck("mul_const", [](const Inputs& x) { return x[0] * x[1]; }, {leaf({3}), mt::rand({3})});
  require_gradcheck("div_const", [](const Inputs& x) { return x[0] / x[1]; }, {mt::rand({3}), leaf({3}, 1.0f, 2.0f)});
}

TEST_CASE("scalar variants on both sides: values and gradients") {
  require_values(a23() + 2.0f, {3, 4, 5, 6, 7, 8});
  require_values(2.0f + a23(), {3, 4, 5, 6, 7, 8});
  require_values(a23() - 2.0f, {-1, 0, 1, 2, 3, 4});
  require_values(2.0f - a23(), {1, 0, -1, -2, -3, -4});
  require_values(a23() * 3.0f, {3, 6, 9, 12, 15, 18});
  require_values(3.0f * a23(), {3, 6, 9, 12, 15, 18});
  require_values(a23() / 2.0f, {0.5f, 1, 1.5f, 2, 2.5f, 3});
  require_values(6.0f / a23(), {6, 3, 2, 1.5f, 1.2f, 1});

  // hand-derived: d(2 - a) = -1, d(a / 2) = 0.5, d(6 / a) = -6 / a^2
  mt::Tensor a = a23().requires_grad_(true);
  (2.0f - a).sum().backward();
  require_values(a.grad(), std::vector<float>(6, -1.0f));
  mt::zero_grad(a);
  (a / 2.0f).sum().backward();
  require_values(a.grad(), std::vector<float>(6, 0.5f));
  mt::zero_grad(a);
  (6.0f / a).sum().backward();
  require_values(a.grad(), {-6, -1.5f, -6.0f / 9, -6.0f / 16, -6.0f / 25, -6.0f / 36});

  mt::manual_seed(11);
  const Inputs x1{leaf({2, 3})};
  require_gradcheck("a+s", [](const Inputs& x) { return x[0] + 1.5f; }, x1);
  require_gradcheck("s+a", [](const Inputs& x) { return 1.5f + x[0]; }, x1);
  require_gradcheck("a-s", [](const Inputs& x) { return x[0] - 1.5f; }, x1);
  require_gradcheck("s-a", [](const Inputs& x) { return 1.5f - x[0]; }, x1);
  require_gradcheck("a*s", [](const Inputs& x) { return x[0] * -3.0f; }, x1);
  require_gradcheck("s*a", [](const Inputs& x) { return -3.0f * x[0]; }, x1);
  require_gradcheck("a/s", [](const Inputs& x) { return x[0] / 4.0f; }, x1);
  require_gradcheck("s/a", [](const Inputs& x) { return 2.0f / x[0]; }, {leaf({2, 3}, 0.5f, 2.0f)});
}

TEST_CASE("broadcasting (2, 3) + (3): the (3) gradient sums over rows") {
  mt::Tensor a = mt::zeros({2, 3}).requires_grad_(true);
  mt::Tensor b = mt::tensor(std::vector<float>{10, 20, 30}, {3}).requires_grad_(true);
  mt::Tensor y = a + b;
  REQUIRE(y.shape() == mt::Shape{2, 3});
  require_values(y, {10, 20, 30, 10, 20, 30});
  y.backward(a23());  // seed [[1, 2, 3], [4, 5, 6]]
  require_values(a.grad(), {1, 2, 3, 4, 5, 6});
  require_values(b.grad(), {5, 7, 9});
  mt::zero_grad(b);
  (a23() - b).backward(a23());
  require_values(b.grad(), {-5, -7, -9});
}

TEST_CASE("broadcasting (4, 1) * (1, 5): each gradient sums over the other's axis") {
  mt::Tensor p = mt::tensor(std::vector<float>{1, 2, 3, 4}, {4, 1}).requires_grad_(true);
  mt::Tensor q = mt::tensor(std::vector<float>{1, -1, 2, 0, 3}, {1, 5}).requires_grad_(true);
  mt::Tensor y = p * q;
  REQUIRE(y.shape() == mt::Shape{4, 5});
  REQUIRE(y.to_vector<float>()[7] == 4.0f);  // (1, 2): p[1] * q[2]
  y.sum().backward();
  require_values(p.grad(), {5, 5, 5, 5});       // dp[i] = sum_j q[j]
  require_values(q.grad(), {10, 10, 10, 10, 10});  // dq[j] = sum_i p[i]
}

TEST_CASE("broadcasting with a 0-d tensor and across ranks: gradcheck and hand sums") {
  mt::Tensor a = a23().requires_grad_(true);
  mt::Tensor s = mt::full({}, 2.0f).requires_grad_(true);
  (a * s).sum().backward();
  require_values(s.grad(), {21});  // ds = sum(a)
  require_values(a.grad(), std::vector<float>(6, 2.0f));

  mt::manual_seed(12);
  require_gradcheck("bcast_add", [](const Inputs& x) { return x[0] + x[1]; }, {leaf({2, 1, 3}), leaf({4, 1})});
  require_gradcheck("bcast_sub", [](const Inputs& x) { return x[0] - x[1]; }, {leaf({3}), leaf({2, 3})});
  require_gradcheck("bcast_mul", [](const Inputs& x) { return x[0] * x[1]; }, {leaf({4, 1}), leaf({1, 5})});
  require_gradcheck("bcast_div", [](const Inputs& x) { return x[0] / x[1]; }, {leaf({2, 3}), leaf({}, 1.0f, 2.0f)});
}

TEST_CASE("binary backward: x * y gives x.grad = y, y.grad = x, in separate buffers") {
  mt::Tensor x = leaf_of({1, 2, 3}), y = leaf_of({4, 5, 6});
  (x * y).sum().backward();
  CHECK(x.grad().to_vector<float>() == Floats{4, 5, 6});
  CHECK(y.grad().to_vector<float>() == Floats{1, 2, 3});
  add_in_place(x.grad(), 1.0f);
  CHECK(y.grad().to_vector<float>() == Floats{1, 2, 3});
  CHECK(y.to_vector<float>() == Floats{4, 5, 6});
}

TEST_CASE("binary backward: x * x and (x * 2) / 4 accumulate into one gradient") {
  mt::Tensor x = leaf_of({1, -2, 3});
  (x * x).sum().backward();
  CHECK(x.grad().to_vector<float>() == Floats{2, -4, 6});
  mt::zero_grad(x);
  ((x * 2.0f) / 4.0f).sum().backward();
  CHECK(x.grad().to_vector<float>() == Floats{0.5f, 0.5f, 0.5f});
}

TEST_CASE("binary backward: x + y and x - y never share dy or the seed with a leaf") {
  mt::Tensor x = leaf_of({1, 2}), y = leaf_of({3, 4});
  const mt::Tensor seed = mt::tensor(Floats{10, 20}, {2});
  (x + y).backward(seed);
  add_in_place(x.grad(), 1.0f);
  CHECK(x.grad().to_vector<float>() == Floats{11, 21});
  CHECK(y.grad().to_vector<float>() == Floats{10, 20});
  CHECK(seed.to_vector<float>() == Floats{10, 20});
  mt::zero_grad(x);
  mt::zero_grad(y);
  (x - y).backward(seed);
  CHECK(x.grad().to_vector<float>() == Floats{10, 20});
  CHECK(y.grad().to_vector<float>() == Floats{-10, -20});
  add_in_place(y.grad(), 1.0f);
  CHECK(seed.to_vector<float>() == Floats{10, 20});
}

TEST_CASE("ops on 0-d, size-1 and 0-size tensors, and a broadcast row's gradient through an empty batch") {
  const mt::Tensor s = mt::full({}, 3.0f);
  REQUIRE((s * 2.0f).item<float>() == 6.0f);
  REQUIRE((s * mt::ones({2, 1})).shape() == mt::Shape{2, 1});
  const mt::Tensor e = mt::zeros({2, 0, 3});
  REQUIRE((e + mt::ones({1, 1, 3})).shape() == mt::Shape{2, 0, 3});
  REQUIRE(e.sum().item<float>() == 0.0f);
  const mt::Tensor by_dim = e.sum(1);
  REQUIRE(by_dim.shape() == mt::Shape{2, 3});
  for (float v : by_dim.to_vector<float>()) REQUIRE(v == 0.0f);
  // the gradient of a broadcast row through a 0-size batch is zeros of the row's shape
  mt::Tensor row = mt::ones({1, 3}).requires_grad_(true);
  (e.view({0, 3}) * row).sum().backward();
  REQUIRE(row.grad().to_vector<float>() == std::vector<float>{0, 0, 0});
}

TEST_CASE("integer + - * wrap around on overflow, as PyTorch's (two's complement), with no undefined behaviour") {
  const int64_t big = int64_t{1} << 62, lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
  const mt::Tensor a = mt::tensor(std::vector<int64_t>{big, lo, hi}, {3});
  // Values from PyTorch 1.13: a * 4, a + a, a - (-a), a * [3, 1, 2], a * 3.
  REQUIRE((a * 4).to_vector<int64_t>() == std::vector<int64_t>{0, 0, -4});
  REQUIRE((a + a).to_vector<int64_t>() == std::vector<int64_t>{lo, 0, -2});
  REQUIRE((a - (-a)).to_vector<int64_t>() == std::vector<int64_t>{lo, 0, -2});
  REQUIRE((a * mt::tensor(std::vector<int64_t>{3, 1, 2}, {3})).to_vector<int64_t>() ==
          std::vector<int64_t>{-4611686018427387904, lo, -2});
  REQUIRE((a * 3).to_vector<int64_t>() == std::vector<int64_t>{-4611686018427387904, lo, 9223372036854775805});
  const mt::Tensor b = mt::tensor(std::vector<int32_t>{1 << 30, std::numeric_limits<int32_t>::min()}, {2});
  REQUIRE((b * 4).to_vector<int32_t>() == std::vector<int32_t>{0, 0});
  REQUIRE((b + b).to_vector<int32_t>() == std::vector<int32_t>{std::numeric_limits<int32_t>::min(), 0});
}

TEST_CASE("integer sum and cumsum wrap around on overflow, as PyTorch's") {
  const int64_t big = int64_t{1} << 62, lo = std::numeric_limits<int64_t>::min();
  const mt::Tensor a = mt::tensor(std::vector<int64_t>{big, big, big, -5}, {4});
  // Values from PyTorch 1.13: a.sum(), a.cumsum(0), a.view(2, 2).sum(0), .sum(1).
  REQUIRE(a.sum().item<int64_t>() == -4611686018427387909);
  REQUIRE(mt::cumsum(a, 0).to_vector<int64_t>() ==
          std::vector<int64_t>{big, lo, -4611686018427387904, -4611686018427387909});
  REQUIRE(a.view({2, 2}).sum(0).to_vector<int64_t>() == std::vector<int64_t>{lo, 4611686018427387899});
  REQUIRE(a.view({2, 2}).sum(1).to_vector<int64_t>() == std::vector<int64_t>{lo, 4611686018427387899});
  // int32 sums are made in int64 (PyTorch's dtype), so 4 * 2^30 does not overflow.
  const mt::Tensor b = mt::tensor(std::vector<int32_t>{1 << 30, 1 << 30, 1 << 30, 1 << 30}, {4});
  REQUIRE(b.sum().item<int64_t>() == 4294967296);
  REQUIRE(mt::cumsum(b, 0).to_vector<int64_t>() == std::vector<int64_t>{1073741824, 2147483648, 3221225472, 4294967296});
}
