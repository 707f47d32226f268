// Core ops given bad input: each throws std::invalid_argument (std::runtime_error for autograd misuse)
// whose message names the offending shapes, counts, dtypes or dims, and nothing is changed first.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>

namespace mt = microtorch;
using Catch::Contains;

namespace {

mt::Tensor floats(const mt::Shape& shape) { return mt::zeros(shape); }
mt::Tensor ints(const mt::Shape& shape) { return mt::zeros(shape, mt::kInt64); }

}  // namespace

TEST_CASE("binary ops reject shapes that do not broadcast, naming both") {
  const mt::Tensor a = floats({2, 3}), b = floats({4});
  REQUIRE_THROWS_AS(a + b, std::invalid_argument);
  REQUIRE_THROWS_WITH(a + b, Contains("[2, 3]") && Contains("[4]") && Contains("add"));
  REQUIRE_THROWS_WITH(a - b, Contains("[2, 3]") && Contains("[4]") && Contains("sub"));
  REQUIRE_THROWS_WITH(b * a, Contains("[4]") && Contains("[2, 3]") && Contains("mul"));
  REQUIRE_THROWS_WITH(mt::div(a, floats({3, 3})), Contains("[2, 3]") && Contains("[3, 3]"));
  REQUIRE_THROWS_AS(floats({2, 1, 3}) + floats({4, 2}), std::invalid_argument);
}

TEST_CASE("a failed op records nothing and leaves its inputs alone") {
  mt::Tensor a = mt::ones({2, 3}).requires_grad_(true);
  REQUIRE_THROWS_AS(a * floats({4}), std::invalid_argument);
  REQUIRE(a.is_leaf());
  REQUIRE_FALSE(a.grad().defined());
  REQUIRE(a.to_vector<float>() == std::vector<float>(6, 1.0f));
}

TEST_CASE("matmul rejects mismatched inner dims, naming both shapes") {
  REQUIRE_THROWS_AS(mt::matmul(floats({2, 3}), floats({4, 5})), std::invalid_argument);
  REQUIRE_THROWS_WITH(mt::matmul(floats({2, 3}), floats({4, 5})), Contains("[2, 3]") && Contains("[4, 5]"));
  REQUIRE_THROWS_WITH(mt::matmul(floats({2, 3, 4}), floats({3})), Contains("[2, 3, 4]") && Contains("[3]"));
  REQUIRE_THROWS_AS(mt::matmul(floats({2, 3}), floats({1, 2, 2})), std::invalid_argument);  // 3-D b, K 3 vs 2
  REQUIRE_THROWS_AS(mt::matmul(floats({2, 2, 3}), floats({3, 3, 2})), std::invalid_argument);  // batch 2 vs 3
  REQUIRE_THROWS_AS(mt::matmul(floats({}), floats({1, 2})), std::invalid_argument);        // 0-d a
}

TEST_CASE("view and reshape to an incompatible shape name both shapes and the element count") {
  const mt::Tensor t = floats({2, 3});
  REQUIRE_THROWS_AS(t.view({4}), std::invalid_argument);
  REQUIRE_THROWS_WITH(t.view({4}), Contains("[4]") && Contains("[2, 3]") && Contains("6"));
  REQUIRE_THROWS_WITH(t.reshape({4, -1}), Contains("[2, 3]") && Contains("6"));  // 6 is not a multiple of 4
  REQUIRE_THROWS_AS(t.view({-1, -1}), std::invalid_argument);                 // two -1
  REQUIRE_THROWS_AS(t.view({-2, 3}), std::invalid_argument);
  REQUIRE_THROWS_AS(t.view({0, -1}), std::invalid_argument);
  REQUIRE(t.shape() == mt::Shape{2, 3});
}

TEST_CASE("item on a multi-element tensor names its shape and element count") {
  REQUIRE_THROWS_AS(floats({2, 3}).item<float>(), std::invalid_argument);
  REQUIRE_THROWS_WITH(floats({2, 3}).item<float>(), Contains("[2, 3]") && Contains("6 elements"));
  REQUIRE_THROWS_WITH(floats({0}).item<float>(), Contains("[0]") && Contains("0 elements"));
}

TEST_CASE("tensor() and factories reject values that do not fill the shape and negative sizes") {
  REQUIRE_THROWS_WITH(mt::tensor(std::vector<float>{1, 2, 3}, {2, 2}), Contains("3 values") && Contains("[2, 2]"));
  REQUIRE_THROWS_AS(mt::tensor(std::vector<int64_t>{1}, {2}), std::invalid_argument);
  REQUIRE_THROWS_WITH(mt::zeros({2, -1}), Contains("[2, -1]"));
  REQUIRE_THROWS_AS(mt::arange(-1), std::invalid_argument);
  REQUIRE_THROWS_WITH(mt::randint(5, 5, {2}), Contains("[5, 5)"));
}

// int64 with float32 promotes, as PyTorch 1.13 (values from torch: i = arange(6).reshape(2, 3),
// f = i * 0.5 + 0.25 in float32); what PyTorch refuses on integers (mean, matmul with a float, softmax) is refused.
TEST_CASE("int tensors in float ops: promoted as PyTorch, or refused naming the dtype where PyTorch refuses") {
  const mt::Tensor i = mt::arange(6).reshape({2, 3}), f = mt::arange(6).to(mt::kFloat32).reshape({2, 3}) * 0.5 + 0.25;
  auto values = [](const mt::Tensor& t) { return t.to(mt::kFloat32).to_vector<float>(); };
  CHECK((i + f).dtype() == mt::kFloat32);
  CHECK(values(i + f) == std::vector<float>{0.25f, 1.75f, 3.25f, 4.75f, 6.25f, 7.75f});
  CHECK(values(f * i) == std::vector<float>{0.0f, 0.75f, 2.5f, 5.25f, 9.0f, 13.75f});
  CHECK(values(i - f) == std::vector<float>{-0.25f, 0.25f, 0.75f, 1.25f, 1.75f, 2.25f});
  CHECK(values(f / i) == std::vector<float>{INFINITY, 0.75f, 0.625f, 0.5833333134651184f, 0.5625f, 0.550000011920929f});
  CHECK((i * 2.0f).dtype() == mt::kFloat32);
  CHECK(values(i * 2.0f) == std::vector<float>{0, 2, 4, 6, 8, 10});
  CHECK(mt::neg(i).dtype() == mt::kInt64);
  CHECK(mt::neg(i).to_vector<int64_t>() == std::vector<int64_t>{0, -1, -2, -3, -4, -5});
  CHECK(mt::relu(i).dtype() == mt::kInt64);
  CHECK(mt::tanh(i).dtype() == mt::kFloat32);
  CHECK(values(mt::tanh(i))[1] == Approx(0.7615941762924194f).epsilon(1e-6));
  CHECK(values(mt::exp(i))[2] == Approx(7.389056205749512f).epsilon(1e-6));
  CHECK(std::isinf(mt::log(mt::zeros({2}, mt::kInt32)).to_vector<float>()[0]));
  CHECK(i.sum().dtype() == mt::kInt64);
  CHECK(i.sum().item<int64_t>() == 15);
  CHECK(i.sum(0).to_vector<int64_t>() == std::vector<int64_t>{3, 5, 7});
  REQUIRE_THROWS_WITH(i.mean(), Contains("mean") && Contains("int64"));
  REQUIRE_THROWS_AS(i.mean(1, true), std::invalid_argument);
  REQUIRE_THROWS_WITH(mt::matmul(f, ints({3, 2})), Contains("matmul") && Contains("int64"));
  REQUIRE_THROWS_AS(mt::softmax(i), std::invalid_argument);
  REQUIRE_THROWS_AS(mt::log_softmax(i), std::invalid_argument);
}

TEST_CASE("typed access and requires_grad_ check the dtype") {
  const mt::Tensor i = ints({3});
  REQUIRE_THROWS_WITH(i.data_ptr<float>(), Contains("int64") && Contains("float32"));
  REQUIRE_THROWS_AS(i.to_vector<int32_t>(), std::invalid_argument);
  REQUIRE_THROWS_AS(mt::full({}, NAN).item<int64_t>(), std::invalid_argument);  // no integer holds NaN
  mt::Tensor j = ints({3});
  REQUIRE_THROWS_WITH(j.requires_grad_(true), Contains("int64"));
  REQUIRE_FALSE(j.requires_grad());
}

TEST_CASE("out-of-range dims are rejected, naming the dim") {
  const mt::Tensor t = floats({2, 3});
  REQUIRE_THROWS_WITH(t.sum(2), Contains("dim 2"));
  REQUIRE_THROWS_WITH(t.sum(-3, true), Contains("dim -3"));
  REQUIRE_THROWS_WITH(t.mean(5), Contains("dim 5"));
  REQUIRE_THROWS_AS(mt::mean(t, -3, false), std::out_of_range);  // a dim out of range, as every op (API v2)
  REQUIRE_THROWS_WITH(t.transpose(0, 2), Contains("dim 2") && Contains("[-2, 1]"));
  REQUIRE_THROWS_AS(mt::transpose(t, -3, 1), std::out_of_range);
  REQUIRE_THROWS_WITH(t.size(2), Contains("dim 2") && Contains("[2, 3]"));
  REQUIRE_THROWS_AS(t.size(-3), std::invalid_argument);
  REQUIRE_THROWS_WITH(mt::softmax(t, 2), Contains("dim 2"));
  REQUIRE_THROWS_AS(mt::log_softmax(t, -3), std::out_of_range);
  REQUIRE_THROWS_AS(mt::softmax(floats({}), 1), std::out_of_range);
}

TEST_CASE("backward and copy_ reject mismatched shapes, naming both, and copy_ casts dtypes as PyTorch") {
  mt::Tensor x = mt::ones({2, 3}).requires_grad_(true);
  REQUIRE_THROWS_WITH((x * 2.0f).backward(floats({3, 2})), Contains("[3, 2]") && Contains("[2, 3]"));
  REQUIRE_THROWS_WITH((x * 2.0f).backward(), Contains("[2, 3]"));
  REQUIRE_FALSE(x.grad().defined());

  mt::Tensor dst = floats({2, 2});
  REQUIRE_THROWS_WITH(dst.copy_(mt::ones({4})), Contains("[4]") && Contains("[2, 2]"));
  REQUIRE(dst.to_vector<float>() == std::vector<float>(4, 0.0f));
  dst.copy_(mt::tensor({1, 2, 3, 4}, {2, 2}));  // int64 values cast to float32, as PyTorch's copy_
  REQUIRE(dst.to_vector<float>() == std::vector<float>{1, 2, 3, 4});
}

TEST_CASE("copy_ from a source that requires grad is recorded: the destination requires grad, as PyTorch") {
  mt::Tensor dst = floats({2});
  const mt::Tensor src = mt::ones({2}).requires_grad_(true);
  dst.copy_(src);
  REQUIRE(dst.requires_grad());
  (dst * mt::tensor({2.f, 3.f})).sum().backward();
  REQUIRE(src.grad().to_vector<float>() == std::vector<float>{2, 3});
  mt::Tensor plain = floats({2});
  mt::NoGradGuard no_grad;
  plain.copy_(src);
  REQUIRE_FALSE(plain.requires_grad());
  REQUIRE(plain.to_vector<float>() == std::vector<float>(2, 1.0f));
}
