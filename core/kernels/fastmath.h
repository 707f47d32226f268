// Internal: float exp, tanh and erf written branch-free (selects, no calls), so that GCC vectorizes a loop over
// them with -march=native; glibc's expf/tanhf/erff are scalar calls. exp and tanh Cephes-style, erf on minimax
// fits of its own; each within 2 ulp of the exact value over the whole float range, with inf, NaN and signed
// zero as std:: gives them (tests/core/test_fastmath.cpp).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace microtorch::kernels {

// 2^k for an integer k in [-126, 127], built from its exponent bits.
inline float pow2i(int32_t k) {
  const int32_t bits = (k + 127) << 23;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// c0 x^n + c1 x^(n-1) + ... + cn by Horner's rule, highest degree first, one fma per coefficient (written out
// at compile time: a loop over an array of coefficients keeps GCC from vectorizing the caller's loop).
inline float horner(float, float c) { return c; }
template <class... Cs> inline float horner(float x, float c0, float c1, Cs... rest) {
  return horner(x, std::fma(c0, x, c1), rest...);
}

// The shared core of fast_exp and exp_in_range: n = round(x / ln2) and exp(r) for r = x - n ln2 (ln2 split in
// two, so n ln2 is exact enough), by Cephes' degree-5 minimax polynomial: exp(x) = exp(r) 2^n.
inline float exp_of_remainder(float x, float& n) {
  n = std::nearbyint(x * 1.44269504088896341f);
  const float r = std::fma(n, 2.12194440e-4f, std::fma(n, -0.693359375f, x));  // x - n ln2
  const float p = horner(r, 1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f, 1.6666665459e-1f,
                         5.0000001201e-1f);
  return std::fma(p, r * r, r) + 1.0f;  // exp(r) = 1 + r + r^2 P(r)
}

// exp(x) for any float: clamped so that n stays in range, then exp(r) times 2^n in two halves so that results
// down to denormals round once.
inline float fast_exp(float x) {
  // Outside [-104, 88.8] exp is 0 or inf in float; clamping keeps n in range. NaN -> -104, fixed at the end.
  const float xc = x > -104.0f ? (x < 88.8f ? x : 88.8f) : -104.0f;
  float n;  // in [-150, 128]
  const float p = exp_of_remainder(xc, n);
  const int32_t k = static_cast<int32_t>(n);
  const float y = p * pow2i(k / 2) * pow2i(k - k / 2);  // halves in [-75, 64]: overflow to inf, underflow to 0
  return x == x ? y : x;
}

// exp(x) for an x the caller has already put in [-87, 88] (no clamping, no NaN): fast_exp's steps, with 2^n
// as a single pow2i since n stays in [-126, 127]. A third fewer operations than fast_exp.
inline float exp_in_range(float x) {
  float n;
  const float p = exp_of_remainder(x, n);
  return p * pow2i(static_cast<int32_t>(n));
}

// tanh(x). |x| < 0.625: x + x^3 P(x^2) (Cephes' tanhf polynomial); beyond, 1 - 2 / (exp(2|x|) + 1). Computed on
// |x|, the sign copied back (so tanh(-0) = -0). |x| is clamped to 10, where tanh is 1 in float, so exp's
// argument stays in [0, 20] (exp_in_range). NaN is clamped like a large |x|, then passed through at the end.
inline float fast_tanh(float x) {
  const float a = std::fabs(x);
  const float z = a * a;
  const float p = horner(z, -5.70498872745e-3f, 2.06390887954e-2f, -5.37397155531e-2f, 1.33314422036e-1f,
                         -3.33332819422e-1f);
  const float small = std::fma(a * z, p, a);
  const float e = exp_in_range(a < 10.0f ? 2.0f * a : 20.0f);  // exp(2|x|); NaN -> exp(20)
  const float large = 1.0f - 2.0f / (e + 1.0f);
  const float y = std::copysign(a < 0.625f ? small : large, x);
  return x == x ? y : x;
}

// erf(x). |x| < 0.921875: x + x P(x^2), P of degree 5 (erf is odd, its Taylor series x (2/sqrt(pi)) (1 - x^2/3
// + ...)); beyond: 1 - exp(-h(|x|)), h a degree-6 polynomial without constant term standing for -log(erfc),
// the sign copied back. Both polynomials were fitted for this file (Lawson's iteration to minimax, in mpmath,
// on [0, 0.921875] weighted by 1/erf and on [0.921875, 4] by erfc/erf: relative error of erf < 2^-26 before
// float rounding). |x| is clamped to 4, where erf is 1 in float, so h never runs off (and inf gives +-1).
// x + x P(x^2) keeps -0 and denormals; NaN is passed through at the end.
inline float fast_erf(float x) {
  const float s = x * x;
  const float p = horner(s, -5.99085062e-4f, 4.99317935e-3f, -2.67666150e-2f, 1.12818159e-1f, -3.76124948e-1f,
                         1.28379151e-1f);
  const float small = std::fma(x, p, x);
  const float a = std::fabs(x);
  const float t = a < 4.0f ? a : 4.0f;  // NaN -> 4, replaced at the end
  const float h = horner(t, -2.13925974e-4f, 3.21446429e-3f, -2.28883680e-2f, 1.05259322e-1f, 6.35720253e-1f,
                         1.12851381e+0f);
  const float large = std::copysign(1.0f - exp_in_range(-(h * t)), x);  // h(t) t in [0, 18]
  const float y = a < 0.921875f ? small : large;
  return x == x ? y : x;
}

// max(x[0..n)), -inf for n = 0, NaNs skipped (as a running std::max from -inf skips them): 16 partial
// maxima, one vector, instead of a chain of n dependent compares.
inline float max_of(const float* x, int64_t n) {
  constexpr int64_t kLanes = 16;
  float part[kLanes];
  for (int64_t k = 0; k < kLanes; ++k) part[k] = -INFINITY;
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int64_t k = 0; k < kLanes; ++k) part[k] = part[k] < x[j + k] ? x[j + k] : part[k];
  for (; j < n; ++j) part[j % kLanes] = part[j % kLanes] < x[j] ? x[j] : part[j % kLanes];
  float mx = -INFINITY;
  for (int64_t k = 0; k < kLanes; ++k) mx = mx < part[k] ? part[k] : mx;
  return mx;
}

// sum(exp(x[j] - shift)) over a row of n floats, in double: exps 256 at a time into a stack buffer (a
// vectorized loop), then added into 8 interleaved partial sums (8 short chains instead of one long one).
inline double sum_exp_shifted(const float* x, int64_t n, float shift) {
  constexpr int64_t kChunk = 256, kLanes = 8;
  float e[kChunk];
  double part[kLanes] = {};
  for (int64_t j0 = 0; j0 < n; j0 += kChunk) {
    const int64_t m = n - j0 < kChunk ? n - j0 : kChunk;
    for (int64_t j = 0; j < m; ++j) e[j] = fast_exp(x[j0 + j] - shift);
    for (int64_t j = m; j % kLanes != 0; ++j) e[j] = 0.0f;  // pad to whole lanes; adding 0 changes nothing
    for (int64_t j = 0; j < m; j += kLanes)
      for (int64_t k = 0; k < kLanes; ++k) part[k] += e[j + k];
  }
  return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

}  // namespace microtorch::kernels
