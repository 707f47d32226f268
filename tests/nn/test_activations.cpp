// The activations F::gelu (exact and tanh) and F::logsigmoid: values by hand, gradcheck, gelu's backward adding
// into a gradient already there; and core/kernels/gelu.h, the vectorized GELU loops (fastmath's erf / exp / tanh)
// against the plain loops beside them (std::erf / std::exp / std::tanh), on values from every range that matters
// and the special values, with the same floats for 1 and 2 threads.
#include <catch2/catch.hpp>
#include <microtorch/core/kernels/gelu.h>
#include <microtorch/core/kernels/gelu_avx512.h>
#include <microtorch/microtorch.h>

#include <cfloat>
#include <cmath>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "helpers.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
namespace K = microtorch::kernels;
using namespace helpers;

namespace {

// n inputs: special values first, then magnitudes spread over 1e-30 .. 1e3 (log-uniform), either sign.
std::vector<float> inputs(int64_t n, unsigned seed) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const float special[] = {0.0f, -0.0f, inf, -inf, nan, FLT_TRUE_MIN, -FLT_MIN, FLT_MAX, -FLT_MAX, 1.0f, -1.0f,
                           0.921875f * 1.41421356f, -3.0f, 5.5f, -5.5f, -10.0f, 10.0f, 1e19f, -1e19f};
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> log_mag(-30.0f, 3.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = i < std::size(special) ? special[i] : (rng() % 2 ? 1.0f : -1.0f) * std::pow(10.0f, log_mag(rng));
  return x;
}

// got and want agree: both NaN, or equal, or within tol(x) of each other.
template <class Tol>
void require_near(const std::vector<float>& x, const std::vector<float>& got, const std::vector<float>& want, Tol tol) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i]) && std::isnan(got[i])) continue;
    INFO("index " << i << ", x = " << x[i] << ": got " << got[i] << ", want " << want[i]);
    if (got[i] == want[i]) continue;
    REQUIRE(std::fabs(static_cast<double>(got[i]) - want[i]) <= tol(static_cast<double>(x[i])));
  }
}

}  // namespace

TEST_CASE("gelu (exact and tanh) and logsigmoid: values and gradcheck") {
  const mt::Tensor x = mt::tensor(std::vector<float>{-100, -1, 0, 1, 100}, {5});
  const auto exact = F::gelu(x).to_vector<float>();
  const auto approx = F::gelu(x, F::GELUFuncOptions().approximate("tanh")).to_vector<float>();
  const auto ls = F::logsigmoid(x).to_vector<float>();
  CHECK(exact[2] == 0.0f);
  CHECK(exact[3] == Approx(0.8413447).margin(1e-6));   // 1 * Phi(1)
  CHECK(exact[1] == Approx(-0.1586553).margin(1e-6));
  CHECK(approx[3] == Approx(0.8411920).margin(1e-6));  // 0.5 (1 + tanh(sqrt(2/pi) 1.044715))
  CHECK(exact[4] == 100.0f);
  CHECK(exact[0] == 0.0f);
  CHECK(ls[0] == -100.0f);                            // no overflow of exp(100)
  CHECK(ls[2] == Approx(-std::log(2.0)).margin(1e-7));
  CHECK(ls[4] == Approx(0.0).margin(1e-30));
  mt::manual_seed(2);
  const mt::Tensor xs = (mt::randn({4, 6}) * 3.0f).requires_grad_(true);
  require_gradcheck("gelu", [](const Inputs& in) { return F::gelu(in[0]); }, {xs});
  require_gradcheck("gelu tanh", [](const Inputs& in) {
    return F::gelu(in[0], F::GELUFuncOptions().approximate("tanh"));
  }, {xs});
  require_gradcheck("logsigmoid", [](const Inputs& in) { return F::logsigmoid(in[0]); }, {xs});
  CHECK_THROWS_AS(F::gelu(xs, F::GELUFuncOptions().approximate("erf")), std::invalid_argument);
}

// gelu'(x) + gelu'(x) is exactly 2 gelu'(x) in float, so the two uses must give exactly twice the kernel's value.
TEST_CASE("gelu: backward adds into the gradient (x used twice, grad = 2 gelu'(x))") {
  mt::manual_seed(3);
  for (const char* approximate : {"none", "tanh"}) {
    INFO("approximate " << approximate);
    const auto opt = F::GELUFuncOptions().approximate(approximate);
    const mt::Tensor x = (mt::randn({37, 5}) * 3.0f).requires_grad_(true);
    (F::gelu(x, opt) + F::gelu(x, opt)).sum().backward();
    const auto xv = x.detach().to_vector<float>();
    const std::vector<float> ones(xv.size(), 1.0f);
    std::vector<float> want(xv.size());
    const bool exact = std::string(approximate) == "none";
    (exact ? K::gelu_backward : K::gelu_tanh_backward)(xv.data(), ones.data(), want.data(),
                                                      static_cast<int64_t>(xv.size()));
    const auto got = x.grad().to_vector<float>();
    for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == 2.0f * want[i]);
  }
}

using ForwardLoop = void (*)(const float*, float*, int64_t);
using BackwardLoop = void (*)(const float*, const float*, float*, int64_t);

// The exact GELU's loops: the dispatching ones, the portable fastmath ones, and the AVX-512 tables directly.
struct ExactLoops {
  const char* name;
  ForwardLoop forward;
  BackwardLoop backward;
};
std::vector<ExactLoops> exact_loops() {
  std::vector<ExactLoops> loops = {{"gelu_forward / gelu_backward", K::gelu_forward, K::gelu_backward},
                                   {"portable", K::gelu_forward_portable, K::gelu_backward_portable}};
  if (K::gelu_avx512_available()) loops.push_back({"avx512", K::gelu_avx512_forward, K::gelu_avx512_backward});
  else WARN("this CPU has no AVX-512: the table kernels are not tested here");
  return loops;
}

// erf and exp within 2 ulp each (or the tables within 6e-8): y = 0.5 x (1 + erf) moves by at most ~2e-7 |x|;
// y' = Phi + x phi by ~3e-7.
TEST_CASE("gelu kernels: exact GELU matches the plain std::erf loop") {
  for (const auto& loop : exact_loops()) {
    INFO(loop.name);
    for (int64_t n : {0, 1, 7, 19, 33, 1000, 100003}) {
      const auto x = inputs(n, 11);
      std::vector<float> dy(x.size());
      for (size_t i = 0; i < dy.size(); ++i) dy[i] = 0.5f + static_cast<float>(i % 5);
      std::vector<float> got(x.size()), want(x.size());
      loop.forward(x.data(), got.data(), n);
      K::gelu_forward_reference(x.data(), want.data(), n);
      require_near(x, got, want, [](double v) { return 4e-7 * std::fabs(v); });
      loop.backward(x.data(), dy.data(), got.data(), n);
      K::gelu_backward_reference(x.data(), dy.data(), want.data(), n);
      require_near(x, got, want, [](double) { return 5.0 * 4e-7; });  // |dy| <= 4.5
    }
  }
}

// The tables' own bounds (gelu_avx512.cpp): |E - exact| <= 3e-8, |G - exact| <= 6e-8, so gelu is within
// 3e-8 |x| plus its own rounding and gelu' within 6e-8 plus its rounding; against the formulas in double, on
// a grid of step 2^-13 over [-9, 9] and on both sides of every interval edge k / 4.
TEST_CASE("gelu kernels: the AVX-512 tables are within their fitted error on the whole range") {
  if (!K::gelu_avx512_available()) {
    WARN("this CPU has no AVX-512: nothing to sweep");
    return;
  }
  std::vector<float> x;
  for (int k = -9 * 8192; k <= 9 * 8192; ++k) x.push_back(static_cast<float>(k) / 8192.0f);
  for (int k = -36; k <= 36; ++k) {
    const float edge = static_cast<float>(k) / 4.0f;
    x.push_back(std::nextafter(edge, -INFINITY));
    x.push_back(std::nextafter(edge, INFINITY));
  }
  const int64_t n = static_cast<int64_t>(x.size());
  const std::vector<float> ones(x.size(), 1.0f);
  std::vector<float> y(x.size()), d(x.size());
  K::gelu_avx512_forward(x.data(), y.data(), n);
  K::gelu_avx512_backward(x.data(), ones.data(), d.data(), n);
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i], cdf = 0.5 * std::erfc(-v / std::sqrt(2.0));
    const double exact = v * cdf, exact_grad = cdf + v * std::exp(-0.5 * v * v) / std::sqrt(2.0 * M_PI);
    INFO("x = " << x[i] << ": gelu " << y[i] << " vs " << exact << ", gelu' " << d[i] << " vs " << exact_grad);
    REQUIRE(std::fabs(y[i] - exact) <= 3e-8 * std::fabs(v) + 6e-8 * std::fabs(exact) + 1e-45);
    REQUIRE(std::fabs(d[i] - exact_grad) <= 6e-8 + 6e-8 * std::fabs(exact_grad));
  }
}

// tanh within 2 ulp: y moves by ~2e-7 |x|; in y', 1 - tanh^2 loses its digits as tanh nears 1, so the bound
// grows with the factor x (1 + 3 0.044715 x^2) it is multiplied by.
TEST_CASE("gelu kernels: tanh-approximate GELU matches the plain std::tanh loop") {
  for (int64_t n : {0, 1, 7, 19, 33, 1000, 100003}) {
    const auto x = inputs(n, 12);
    std::vector<float> dy(x.size(), -1.5f);
    std::vector<float> got(x.size()), want(x.size());
    K::gelu_tanh_forward(x.data(), got.data(), n);
    K::gelu_tanh_forward_reference(x.data(), want.data(), n);
    require_near(x, got, want, [](double v) { return 4e-7 * std::fabs(v); });
    K::gelu_tanh_backward(x.data(), dy.data(), got.data(), n);
    K::gelu_tanh_backward_reference(x.data(), dy.data(), want.data(), n);
    require_near(x, got, want, [](double v) { return 1.5 * 4e-7 * (1.0 + std::fabs(v) * (1.0 + 0.135 * v * v)); });
  }
}

TEST_CASE("gelu kernels: the same floats for 1 and 2 threads") {
  ThreadsGuard guard;
  const int64_t n = 300001;  // several grains, a ragged end
  const auto x = inputs(n, 13);
  const std::vector<float> dy(x.size(), 0.25f);
  auto run = [&](int threads) {
    mt::set_num_threads(threads);
    std::vector<float> out(4 * x.size());
    K::gelu_forward(x.data(), out.data(), n);
    K::gelu_backward(x.data(), dy.data(), out.data() + n, n);
    K::gelu_tanh_forward(x.data(), out.data() + 2 * n, n);
    K::gelu_tanh_backward(x.data(), dy.data(), out.data() + 3 * n, n);
    return out;
  };
  const auto one = run(1), two = run(2);
  for (size_t i = 0; i < one.size(); ++i) {
    if (std::isnan(one[i]) && std::isnan(two[i])) continue;
    INFO("index " << i);
    REQUIRE(one[i] == two[i]);
  }
}

