// tanh, exp and sigmoid (core/ops/unary.cpp) run on fastmath.h and across threads for large tensors: their
// values against std:: in double (within 2 ulp of the function, plus sigmoid's one division and addition),
// their gradients against the formulas, and the same floats for 1 and 2 threads.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cfloat>
#include <cmath>
#include <random>
#include <vector>

namespace mt = microtorch;

namespace {
struct ThreadsGuard {
  int saved = mt::get_num_threads();
  ~ThreadsGuard() { mt::set_num_threads(saved); }
};

// n floats over [-lim, lim], several grains long so two threads each take a part.
std::vector<float> values(int64_t n, float lim) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> d(-lim, lim);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}
}  // namespace

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
