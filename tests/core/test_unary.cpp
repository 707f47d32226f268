// The unary ops: tanh, relu, exp, log, sqrt, rsqrt, pow, sigmoid, abs. Values by hand, gradients by hand, by
// gradcheck and PyTorch's at the edge points; and over large tensors, where tanh, exp and sigmoid run on
// fastmath.h across threads, values against std:: in double (within 2 ulp of the function, plus sigmoid's one
// division and addition), gradients against the formulas, and the same floats for 1 and 2 threads.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cfloat>
#include <cmath>
#include <random>
#include <vector>

#include "helpers.h"

namespace mt = microtorch;
using namespace helpers;

namespace {

// The gradient of f at x.
float grad_at(mt::Tensor (*f)(const mt::Tensor&), float x) {
  mt::Tensor t = mt::full({1}, x).requires_grad_(true);
  f(t).sum().backward();
  return t.grad().item<float>();
}

// n floats over [-lim, lim], several grains long so two threads each take a part.
std::vector<float> values(int64_t n, float lim) {
  std::mt19937 rng(5);
  return random_floats(rng, n, -lim, lim);
}

}  // namespace

TEST_CASE("tanh, relu, exp, log: values and gradients") {
  mt::Tensor x = mt::tensor(std::vector<float>{0, 1, -2}, {3});
  require_values(mt::tanh(x), {0, 0.7615942f, -0.9640276f});
  require_values(mt::relu(mt::tensor(std::vector<float>{-1, 0, 2}, {3})), {0, 0, 2});
  require_values(mt::exp(mt::tensor(std::vector<float>{0, 1, -1}, {3})), {1, 2.7182818f, 0.36787944f});
  require_values(mt::log(mt::tensor(std::vector<float>{1, 2.7182818f, 0.5f}, {3})), {0, 1, -0.6931472f});

  // relu'(0) = 0, as PyTorch
  mt::Tensor r = mt::tensor(std::vector<float>{-1, 0, 2}, {3}).requires_grad_(true);
  mt::relu(r).sum().backward();
  require_values(r.grad(), {0, 0, 1});
  // tanh'(1) = 1 - tanh(1)^2
  mt::Tensor t = mt::full({1}, 1.0f).requires_grad_(true);
  mt::tanh(t).sum().backward();
  require_values(t.grad(), {1.0f - 0.7615942f * 0.7615942f});

  mt::manual_seed(13);
  require_gradcheck("tanh", [](const Inputs& v) { return mt::tanh(v[0]); }, {leaf({2, 3}, -2.0f, 2.0f)});
  require_gradcheck("exp", [](const Inputs& v) { return mt::exp(v[0]); }, {leaf({2, 3})});
  require_gradcheck("log", [](const Inputs& v) { return mt::log(v[0]); }, {leaf({2, 3}, 0.5f, 3.0f)});
  // relu away from the kink at 0
  mt::Tensor k = mt::tensor(std::vector<float>{-1.5f, -0.3f, 0.2f, 0.9f, 2.0f, -0.7f}, {2, 3}).requires_grad_(true);
  require_gradcheck("relu", [](const Inputs& v) { return mt::relu(v[0]); }, {k});
}

TEST_CASE("sqrt, rsqrt, pow, sigmoid, abs: values, gradcheck, PyTorch's gradients at the edges") {
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
  CHECK(mt::sqrt(mt::arange(3)).dtype() == mt::kFloat32);  // an integer input gives float32, as PyTorch
  CHECK(mt::sqrt(mt::arange(3)).to_vector<float>() == std::vector<float>{0.0f, 1.0f, 1.4142135381698608f});
  mt::manual_seed(21);
  require_gradcheck("sqrt", [](const Inputs& a) { return mt::sqrt(a[0]); }, {leaf({2, 3}, 0.5f, 2.0f)});
  require_gradcheck("rsqrt", [](const Inputs& a) { return mt::rsqrt(a[0]); }, {leaf({2, 3}, 0.5f, 2.0f)});
  for (double e : {2.0, 3.0, -1.0, 0.5, 1.7, -2.5})
    require_gradcheck("pow " + std::to_string(e), [e](const Inputs& a) { return mt::pow(a[0], e); }, {leaf({5}, 0.5f, 2.0f)});
  require_gradcheck("sigmoid", [](const Inputs& a) { return mt::sigmoid(a[0]); }, {leaf({2, 3}, -3.0f, 3.0f)});
  require_gradcheck("abs", [](const Inputs& a) { return mt::abs(a[0]); }, {mt::tensor({-1.f, 0.5f, -0.3f, 2.f}).requires_grad_(true)});
}

TEST_CASE("unary fast: tanh, exp, sigmoid values and gradients over a large tensor") {
  const int64_t n = 100003;
  const auto v = values(n, 30.0f);
  const mt::Tensor x = mt::tensor(v, {n}).requires_grad_(true);
  const mt::Tensor t = mt::tanh(x), e = mt::exp(x), s = mt::sigmoid(x);
  (t + e + s).sum().backward();
  const auto tv = t.to_vector<float>(), ev = e.to_vector<float>(), sv = s.to_vector<float>();
  const auto g = x.grad().to_vector<float>();
  for (size_t i = 0; i < v.size(); ++i) {
    const double xi = v[i];
    INFO("x = " << v[i]);
    REQUIRE(tv[i] == Approx(std::tanh(xi)).epsilon(2.5e-7).margin(0.0));
    REQUIRE(ev[i] == Approx(std::exp(xi)).epsilon(2.5e-7).margin(0.0));
    REQUIRE(sv[i] == Approx(1.0 / (1.0 + std::exp(-xi))).epsilon(4e-7).margin(1e-30));
    // d/dx: 1 - tanh^2 + exp + sigmoid (1 - sigmoid), from the forward's own floats
    const float want = (1.0f - tv[i] * tv[i]) + ev[i] + (1.0f - sv[i]) * sv[i];
    REQUIRE(g[i] == Approx(want).epsilon(1e-6).margin(1e-7));
  }
}

TEST_CASE("unary fast: the same floats for 1 and 2 threads") {
  ThreadsGuard guard;
  const int64_t n = 300001;
  const mt::Tensor x = mt::tensor(values(n, 12.0f), {n});
  auto run = [&](int threads) {
    mt::set_num_threads(threads);
    std::vector<float> out;
    for (const mt::Tensor& y : {mt::tanh(x), mt::exp(x), mt::sigmoid(x), mt::sqrt(mt::abs(x)), mt::pow(x, 1.5)}) {
      const auto v = y.to_vector<float>();
      out.insert(out.end(), v.begin(), v.end());
    }
    return out;
  };
  const auto one = run(1), two = run(2);
  REQUIRE(one.size() == two.size());
  for (size_t i = 0; i < one.size(); ++i) {
    if (std::isnan(one[i]) && std::isnan(two[i])) continue;  // pow of a negative base
    INFO("index " << i);
    REQUIRE(one[i] == two[i]);
  }
}
