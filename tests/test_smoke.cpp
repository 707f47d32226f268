#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>
namespace mt = microtorch;
TEST_CASE("smoke") {
  auto a = mt::tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}).requires_grad_(true);
  auto b = mt::tensor(std::vector<float>{1, 0, 2}, {3});
  auto y = mt::tanh(mt::matmul(a * b + 1.0f, mt::ones({3, 2}))).sum();
  y.backward();
  REQUIRE(a.grad().defined());
}
