// core/kernels/fastmath.h against std::exp / std::tanh / std::erf computed in double: every 97th float bit
// pattern over the range that matters, every pattern near the thresholds, and the special values. Errors are in
// ulps of the exact result (denormal spacing below FLT_MIN).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <vector>

#include <microtorch/core/kernels/fastmath.h>

namespace {

float from_bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}
uint32_t to_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

// The spacing of floats at the exact value `ref`.
double ulp_at(double ref) {
  const double a = std::fabs(ref);
  if (a < FLT_MIN) return std::ldexp(1.0, -149);
  int e = 0;
  std::frexp(a, &e);  // a in [2^(e-1), 2^e)
  return std::ldexp(1.0, e - 24);
}

struct Worst {
  double ulps = 0.0;
  float x = 0.0f;
  float got = 0.0f;
  double want = 0.0;
  std::string str(const char* fn) const {
    std::ostringstream s;
    s.precision(9);
    s << fn << ": worst " << ulps << " ulp at x = " << x << ": got " << got << ", want " << want;
    return s.str();
  }
};

// Sweeps the bit patterns of [lo, hi] (both of one sign, |lo| <= |hi|) with the given stride.
template <class Fast, class Exact>
void sweep(Worst& w, Fast fast, Exact exact, float lo, float hi, uint32_t stride) {
  const uint32_t sign = to_bits(lo) & 0x80000000u;
  const uint32_t b0 = to_bits(lo) & 0x7fffffffu, b1 = to_bits(hi) & 0x7fffffffu;
  for (uint32_t b = b0; b <= b1 && b >= b0; b += stride) {
    const float x = from_bits(b | sign);
    const double want = exact(static_cast<double>(x));
    const float got = fast(x);
    const double ulps = std::fabs(static_cast<double>(got) - want) / ulp_at(want);
    if (!(ulps <= w.ulps)) w = {ulps, x, got, want};  // a NaN result counts as the worst
  }
}

// A range of bit patterns to sweep: [lo, hi] (both of one sign, |lo| <= |hi|), every stride-th pattern.
struct Range {
  float lo, hi;
  uint32_t stride;
};

// The worst error of fast against exact over every range.
template <class Fast, class Exact>
Worst worst_over(Fast fast, Exact exact, std::initializer_list<Range> ranges) {
  Worst w;
  for (const Range& r : ranges) sweep(w, fast, exact, r.lo, r.hi, r.stride);
  return w;
}

// The special values of an odd function that saturates at +-1 (tanh, erf): f(+-0) = +-0 with the sign kept,
// f(+-inf) = +-1, f(FLT_MAX) = 1, f(x) = x at the smallest denormal, NaN in NaN out.
template <class F>
void check_odd_and_saturating(F f) {
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(f(0.0f) == 0.0f);
  CHECK_FALSE(std::signbit(f(0.0f)));
  CHECK(std::signbit(f(-0.0f)));
  CHECK(f(inf) == 1.0f);
  CHECK(f(-inf) == -1.0f);
  CHECK(f(FLT_MAX) == 1.0f);
  CHECK(f(FLT_TRUE_MIN) == FLT_TRUE_MIN);
  CHECK(std::isnan(f(std::numeric_limits<float>::quiet_NaN())));
}

}  // namespace

TEST_CASE("fast_exp is within 2 ulp of exp over the float range") {
  using microtorch::kernels::fast_exp;
  const Worst w = worst_over(fast_exp, [](double x) { return std::exp(x); },
                             {{0.0f, 88.72f, 97},
                              {-0.0f, -103.9f, 97},
                              {88.6f, 88.7228f, 1},      // up to the largest finite result
                              {-87.2f, -87.4f, 1},       // where results turn denormal
                              {-103.0f, -103.97f, 1}});  // the smallest denormals
  INFO(w.str("fast_exp"));
  CHECK(w.ulps <= 2.0);

  const float inf = std::numeric_limits<float>::infinity();
  CHECK(fast_exp(0.0f) == 1.0f);
  CHECK(fast_exp(-0.0f) == 1.0f);
  CHECK(fast_exp(88.73f) == inf);  // past log(FLT_MAX)
  CHECK(fast_exp(1000.0f) == inf);
  CHECK(fast_exp(FLT_MAX) == inf);
  CHECK(fast_exp(inf) == inf);
  CHECK(fast_exp(-104.0f) == 0.0f);
  CHECK(fast_exp(-FLT_MAX) == 0.0f);
  CHECK(fast_exp(-inf) == 0.0f);
  CHECK(std::isnan(fast_exp(std::numeric_limits<float>::quiet_NaN())));
}

TEST_CASE("fast_tanh is within 2 ulp of tanh over the float range") {
  using microtorch::kernels::fast_tanh;
  const Worst w = worst_over(fast_tanh, [](double x) { return std::tanh(x); },
                             {{0.0f, 20.0f, 97},
                              {-0.0f, -20.0f, 97},
                              {0.62f, 0.63f, 1},         // where the polynomial hands over to exp
                              {-0.62f, -0.63f, 1},
                              {8.9f, 9.1f, 1},           // where the result reaches 1
                              {20.0f, FLT_MAX, 9973}});
  INFO(w.str("fast_tanh"));
  CHECK(w.ulps <= 2.0);

  check_odd_and_saturating(fast_tanh);
  CHECK(fast_tanh(-1e30f) == -1.0f);
}

TEST_CASE("fast_erf is within 2 ulp of erf over the float range") {
  using microtorch::kernels::fast_erf;
  const Worst w = worst_over(fast_erf, [](double x) { return std::erf(x); },
                             {{0.0f, 4.5f, 97},           // every exponent down to the denormals
                              {-0.0f, -4.5f, 97},
                              {0.9f, 0.95f, 1},           // where x + x P(x^2) hands over to 1 - exp(-h)
                              {-0.9f, -0.95f, 1},
                              {3.8f, 4.1f, 1},            // where the result reaches 1, and the clamp at 4
                              {0.0f, 1e-37f, 1},          // the smallest x, denormals: erf(x) = x 2 / sqrt(pi)
                              {-0.0f, -1e-37f, 3},
                              {4.5f, FLT_MAX, 9973},
                              {-4.5f, -FLT_MAX, 9973}});
  INFO(w.str("fast_erf"));
  CHECK(w.ulps <= 2.0);

  check_odd_and_saturating(fast_erf);  // erf(FLT_TRUE_MIN): 2/sqrt(pi) times the smallest denormal rounds back to it
  CHECK(fast_erf(-4.0f) == -1.0f);
  CHECK(fast_erf(-FLT_TRUE_MIN) == -FLT_TRUE_MIN);
  CHECK(std::isnan(fast_erf(-std::numeric_limits<float>::quiet_NaN())));
}

TEST_CASE("sum_exp_shifted matches a double sum of std::exp") {
  for (int64_t n : {0, 1, 7, 8, 27, 255, 256, 257, 1000}) {
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) x[j] = std::sin(0.37f * static_cast<float>(j)) * 10.0f;
    double want = 0.0;
    for (float v : x) want += std::exp(static_cast<double>(v) - 3.0);
    const double got = microtorch::kernels::sum_exp_shifted(x.data(), n, 3.0f);
    INFO("n = " << n << ": got " << got << ", want " << want);
    CHECK(got == Approx(want).epsilon(1e-6).margin(0.0));
  }
}

TEST_CASE("max_of is a running std::max from -inf") {
  using microtorch::kernels::max_of;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  CHECK(max_of(nullptr, 0) == -std::numeric_limits<float>::infinity());
  for (int64_t n : {1, 15, 16, 17, 27, 100}) {
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) x[j] = -100.0f + std::sin(1.3f * static_cast<float>(j));
    float want = -std::numeric_limits<float>::infinity();
    for (float v : x) want = std::max(want, v);
    INFO("n = " << n);
    CHECK(max_of(x.data(), n) == want);
    x[static_cast<size_t>(n) / 2] = nan;  // skipped, as std::max(running, NaN) keeps the running value
    want = -std::numeric_limits<float>::infinity();
    for (float v : x) want = std::max(want, v);
    CHECK(max_of(x.data(), n) == want);
  }
}
