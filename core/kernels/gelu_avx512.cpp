// Speeds up gelu.cpp's exact-GELU loops, whose plain vector path evaluates 0.5 x (1 + erf(x / sqrt 2)) and
// its derivative through fastmath.h's erf and exp: ~40 vector instructions per 16 floats, compute-bound, a
// little slower than libtorch. Here both are table lookups. By symmetry each is a function of a = |x| that is
// flat (1/2 in float) from a = 8 on:
//   gelu(x)  = x / 2 + |x| E(|x|),      E(a) = erf(a / sqrt 2) / 2
//   gelu'(x) = 1 / 2 + sign(x) G(|x|),  G(a) = E(a) + a phi(a), phi(a) = exp(-a^2 / 2) / sqrt(2 pi)
// E and G are each 32 polynomials of degree 5, one per interval [i / 4, (i + 1) / 4), in u = 4 a - i. One
// AVX-512 permute (vpermt2ps) picks a coefficient for 16 lanes at once from two registers (32 intervals), so
// 16 floats cost about 20 instructions: 6 permutes, 5 fmas and the index arithmetic.
// The fits: per interval, minimax of the absolute error (Lawson's iteration in long double), the coefficients
// rounded to float one at a time from the highest degree, the lower ones refitted after each. Evaluated in
// float, |E - exact| <= 3e-8 and |G - exact| <= 6e-8: tests/nn/test_activations.cpp sweeps both against the
// formulas in double, and checks these kernels against the std::erf reference like the plain path.
// The functions carry target("avx512f"), so they are in every x86-64 build; gelu.cpp calls them only when
// the CPU has AVX-512.
#include "gelu_avx512.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

namespace microtorch::kernels {

namespace {

constexpr int kDegree = 5, kIntervals = 32;
constexpr float kEnd = 8.0f;                 // kIntervals / 4: from here on E = G = 1/2 in float
constexpr float kLastS = 31.9999981f;        // the largest float below 32: 4 a is capped here, so i <= 31

// E(a) = erf(a / sqrt 2) / 2 on [i / 4, (i + 1) / 4], in u = 4 a - i
alignas(64) constexpr float kHalfErf[kDegree + 1][kIntervals] = {
    {  // u^0
     1.890345214e-09f, 9.870632738e-02f, 1.914624572e-01f, 2.733726501e-01f, 3.413447440e-01f, 3.943502307e-01f,
     4.331927896e-01f, 4.599408507e-01f, 4.772498608e-01f, 4.877755344e-01f, 4.937903285e-01f, 4.970202446e-01f,
     4.986501038e-01f, 4.994229674e-01f, 4.997673631e-01f, 4.999115765e-01f, 4.999683201e-01f, 4.999893010e-01f,
     4.999966025e-01f, 4.999989867e-01f, 4.999997020e-01f, 4.999999106e-01f, 4.999999702e-01f, 5.000000000e-01f,
     5.000000000e-01f, 5.000000000e-01f, 5.000000000e-01f, 5.000000000e-01f, 5.000000000e-01f, 5.000000000e-01f,
     5.000000000e-01f, 5.000000000e-01f,
    },
    {  // u^1
     9.973555803e-02f, 9.666700661e-02f, 8.801630139e-02f, 7.528433204e-02f, 6.049266830e-02f, 4.566227272e-02f,
     3.237940744e-02f, 2.156934142e-02f, 1.349775214e-02f, 7.934919558e-03f, 4.382077605e-03f, 2.273390535e-03f,
     1.107960707e-03f, 5.072603235e-04f, 2.181693126e-04f, 8.814799367e-05f, 3.345701407e-05f, 1.192937725e-05f,
     3.995803127e-06f, 1.257320378e-06f, 3.716578476e-07f, 1.032038526e-07f, 2.692177503e-08f, 6.597303592e-09f,
     1.518742243e-09f, 3.284402195e-10f, 6.672416786e-11f, 1.273398140e-11f, 2.282968953e-12f, 3.844945467e-13f,
     6.082927808e-14f, 9.050972252e-15f,
    },
    {  // u^2
     9.203247231e-08f, -3.020587843e-03f, -5.500701256e-03f, -7.057641633e-03f, -7.561447099e-03f, -7.134732790e-03f,
     -6.071240176e-03f, -4.718429875e-03f, -3.374557244e-03f, -2.231772058e-03f, -1.369430451e-03f, -7.814776618e-04f,
     -4.154696362e-04f, -2.060557890e-04f, -9.543358465e-05f, -4.130888919e-05f, -1.672236431e-05f, -6.334284080e-06f,
     -2.246139047e-06f, -7.458936011e-07f, -2.320359869e-07f, -6.763768567e-08f, -1.847895881e-08f, -4.732695125e-09f,
     -1.136469141e-09f, -2.559124301e-10f, -5.404655543e-11f, -1.070628655e-11f, -1.989541561e-12f, -3.468412623e-13f,
     -5.672631486e-14f, -8.759648822e-15f,
    },
    {  // u^3
     -1.039276249e-03f, -9.450924699e-04f, -6.889897049e-04f, -3.442447050e-04f, -6.091325417e-07f, 2.675467986e-04f,
     4.220347910e-04f, 4.639955296e-04f, 4.223294382e-04f, 3.361257259e-04f, 2.397870849e-04f, 1.554096671e-04f,
     9.226255497e-05f, 5.044517093e-05f, 2.549757119e-05f, 1.194692140e-05f, 5.199834050e-06f, 2.105690101e-06f,
     7.943668834e-07f, 2.794558895e-07f, 9.175602855e-08f, 2.813761490e-08f, 8.063534729e-09f, 2.160553070e-09f,
     5.414906301e-10f, 1.269884753e-10f, 2.787552654e-11f, 5.729082573e-12f, 1.102726742e-12f, 1.987466452e-13f,
     3.356787843e-14f, 5.409067274e-15f,
    },
    {  // u^4
     6.195478477e-07f, 4.824404823e-05f, 8.141225408e-05f, 9.186202806e-05f, 8.000025264e-05f, 5.348171544e-05f,
     2.292044701e-05f, -2.673022891e-06f, -1.860114571e-05f, -2.464567478e-05f, -2.347148620e-05f, -1.858468568e-05f,
     -1.285749477e-05f, -7.956897207e-06f, -4.462914148e-06f, -2.287403731e-06f, -1.077239745e-06f, -4.679816072e-07f,
     -1.880839164e-07f, -7.008808467e-08f, -2.425841394e-08f, -7.809309643e-09f, -2.340938332e-09f, -6.540404329e-10f,
     -1.704515140e-10f, -4.146425217e-11f, -9.420423643e-12f, -1.999807221e-12f, -3.968638027e-13f, -7.353705589e-14f,
     -1.277130952e-14f, -2.139097429e-15f,
    },
    {  // u^5
     9.328611668e-06f, 6.564860541e-06f, 2.160742952e-06f, -2.212499794e-06f, -5.133340892e-06f, -5.995113952e-06f,
     -5.078708455e-06f, -3.209330316e-06f, -1.263662284e-06f, 1.797456832e-07f, 9.392056199e-07f, 1.127375640e-06f,
     9.768689324e-07f, 7.031260907e-07f, 4.414144712e-07f, 2.474184555e-07f, 1.254711464e-07f, 5.805095427e-08f,
     2.464276960e-08f, 9.637088461e-09f, 3.482503397e-09f, 1.165567198e-09f, 3.619770594e-10f, 1.044638126e-10f,
     2.804909256e-11f, 7.014310573e-12f, 1.635036182e-12f, 3.554746558e-13f, 7.213657162e-14f, 1.361336360e-14f,
     2.414706703e-15f, 4.112463544e-16f,
    },
};
// G(a) = E(a) + a phi(a), likewise
alignas(64) constexpr float kGradPart[kDegree + 1][kIntervals] = {
    {  // u^0
     2.150776224e-09f, 1.953733563e-01f, 3.674951196e-01f, 4.992257357e-01f, 5.833154917e-01f, 6.226615906e-01f,
     6.274691820e-01f, 6.109261513e-01f, 5.852317810e-01f, 5.591897368e-01f, 5.376110673e-01f, 5.220275521e-01f,
     5.119456649e-01f, 5.060173869e-01f, 5.028217435e-01f, 5.012338161e-01f, 5.005036592e-01f, 5.001921058e-01f,
     5.000685453e-01f, 5.000228882e-01f, 5.000071526e-01f, 5.000020862e-01f, 5.000005960e-01f, 5.000001192e-01f,
     5.000000596e-01f, 5.000000000e-01f, 5.000000000e-01f, 5.000000000e-01f, 5.000000000e-01f, 5.000000000e-01f,
     5.000000000e-01f, 5.000000000e-01f,
    },
    {  // u^1
     1.994710714e-01f, 1.872922033e-01f, 1.540283859e-01f, 1.082211360e-01f, 6.049265712e-02f, 1.997730695e-02f,
     -8.094750345e-03f, -2.291732654e-02f, -2.699543722e-02f, -2.430066466e-02f, -1.862383634e-02f, -1.264575869e-02f,
     -7.755753584e-03f, -4.343441222e-03f, -2.236252883e-03f, -1.063296106e-03f, -4.684042651e-04f, -1.916186447e-04f,
     -7.292477676e-05f, -2.585422226e-05f, -8.548348887e-06f, -2.638225624e-06f, -7.605652854e-07f, -2.049363275e-07f,
     -5.163936123e-08f, -1.217336987e-08f, -2.685781819e-09f, -5.547544091e-10f, -1.073057893e-10f, -1.944218918e-11f,
     -3.300365406e-12f, -5.249995859e-13f,
    },
    {  // u^2
     7.319814586e-07f, -1.189260464e-02f, -2.062658779e-02f, -2.426004224e-02f, -2.268443629e-02f, -1.739161648e-02f,
     -1.062565017e-02f, -4.424414132e-03f, -5.531854868e-07f, 2.371088834e-03f, 3.081344767e-03f, 2.784290351e-03f,
     2.077648183e-03f, 1.352490857e-03f, 7.875023293e-04f, 4.157784279e-04f, 2.007275762e-04f, 8.910527686e-05f,
     3.651306906e-05f, 1.385117048e-05f, 4.874861588e-06f, 1.594454261e-06f, 4.853139899e-07f, 1.376167518e-07f,
     3.638739443e-08f, 8.978230603e-09f, 2.068564431e-09f, 4.452702929e-10f, 8.959002984e-11f, 1.685602699e-11f,
     2.966671613e-12f, 4.885899085e-13f,
    },
    {  // u^3
     -4.158547614e-03f, -3.599477001e-03f, -2.129771048e-03f, -3.037707356e-04f, 1.258737408e-03f, 2.141488250e-03f,
     2.260524314e-03f, 1.814994495e-03f, 1.127243508e-03f, 4.805346252e-04f, 3.056187415e-05f, -1.966343843e-04f,
     -2.548553748e-04f, -2.205018536e-04f, -1.554383780e-04f, -9.486217459e-05f, -5.150549623e-05f, -2.525180935e-05f,
     -1.128161784e-05f, -4.620905202e-06f, -1.742689051e-06f, -6.070456493e-07f, -1.957841960e-07f, -5.857454966e-08f,
     -1.628069590e-08f, -4.209268933e-09f, -1.013340856e-09f, -2.273495697e-10f, -4.757071126e-11f, -9.288928134e-12f,
     -1.693636008e-12f, -2.884796080e-13f,
    },
    {  // u^4
     4.936459391e-06f, 2.880686370e-04f, 4.572819453e-04f, 4.590591125e-04f, 3.185094974e-04f, 1.156088765e-04f,
     -6.279032095e-05f, -1.636224042e-04f, -1.806500222e-04f, -1.411443518e-04f, -8.185567276e-05f, -3.028740321e-05f,
     1.862168119e-06f, 1.543182225e-05f, 1.695532956e-05f, 1.314529891e-05f, 8.397087186e-06f, 4.657081263e-06f,
     2.298546178e-06f, 1.023741788e-06f, 4.150748225e-07f, 1.541131667e-07f, 5.262334923e-08f, 1.657766013e-08f,
     4.829914690e-09f, 1.303980257e-09f, 3.267385251e-10f, 7.608336877e-11f, 1.648178295e-11f, 3.324630501e-12f,
     6.249900771e-13f, 1.095627766e-13f,
    },
    {  // u^5
     5.516016972e-05f, 3.358425965e-05f, 1.285622147e-06f, -2.663461783e-05f, -3.935383575e-05f, -3.517781079e-05f,
     -2.037472950e-05f, -3.981387636e-06f, 7.339552212e-06f, 1.152719960e-05f, 1.023334426e-05f, 6.503982604e-06f,
     2.832359314e-06f, 3.996660496e-07f, -7.102095765e-07f, -9.323183576e-07f, -7.488916367e-07f, -4.784228054e-07f,
     -2.613031427e-07f, -1.259158608e-07f, -5.444719164e-08f, -2.134663823e-08f, -7.640807098e-09f, -2.509141339e-09f,
     -7.586768991e-10f, -2.118056980e-10f, -5.471611358e-11f, -1.310250259e-11f, -2.912529376e-12f, -6.017228274e-13f,
     -1.156687051e-13f, -2.070051623e-14f,
    },
};

// Coefficient k of the 32 intervals, in two registers (intervals 0-15 and 16-31).
struct Polys {
  __m512 lo[kDegree + 1], hi[kDegree + 1];
};

__attribute__((target("avx512f"))) Polys load(const float (&table)[kDegree + 1][kIntervals]) {
  Polys p;
  for (int k = 0; k <= kDegree; ++k) {
    p.lo[k] = _mm512_load_ps(table[k]);
    p.hi[k] = _mm512_load_ps(table[k] + 16);
  }
  return p;
}

constexpr __mmask16 kAll = 0xFFFF;

// f(a) for 16 lanes of a = |x|: the polynomial of a's interval, 1/2 from a = 8 on and for NaN (the callers
// carry a NaN through x itself).
// (The maskz_ forms with every lane set are the plain ops: GCC 12's unmasked ones start from an undefined
// register and trip -Wmaybe-uninitialized.)
__attribute__((target("avx512f"))) inline __m512 tabulated(const Polys& p, __m512 a) {
  const __m512 s = _mm512_maskz_min_ps(kAll, _mm512_set1_ps(kLastS), _mm512_mul_ps(a, _mm512_set1_ps(4.0f)));
  const __m512 i = _mm512_maskz_roundscale_ps(kAll, s, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  const __m512 u = _mm512_sub_ps(s, i);                 // in [0, 1), exact: 4 a and floor(4 a) are floats
  const __m512i idx = _mm512_maskz_cvttps_epi32(kAll, i);  // 0..31; permutes read the low 5 bits (NaN too)
  __m512 r = _mm512_permutex2var_ps(p.lo[kDegree], idx, p.hi[kDegree]);
  for (int k = kDegree - 1; k >= 0; --k) r = _mm512_fmadd_ps(r, u, _mm512_permutex2var_ps(p.lo[k], idx, p.hi[k]));
  const __mmask16 inside = _mm512_cmp_ps_mask(a, _mm512_set1_ps(kEnd), _CMP_LT_OQ);
  return _mm512_mask_blend_ps(inside, _mm512_set1_ps(0.5f), r);
}

// step(i, m) for each block of 16 floats from i in [0, n), m its lanes: all 16 (where the compiler drops the
// masks), then the tail's first n - i.
template <class Step> __attribute__((target("avx512f"))) inline void each16(int64_t n, Step step) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) step(i, kAll);
  if (i < n) step(i, __mmask16((1u << (n - i)) - 1u));
}

// y = x / 2 + |x| E(|x|): -inf gives NaN and +inf gives +inf, as 0.5 x (1 + erf) does.
__attribute__((target("avx512f"))) inline __m512 gelu16(const Polys& e, __m512 v) {
  const __m512 a = _mm512_abs_ps(v);
  return _mm512_fmadd_ps(a, tabulated(e, a), _mm512_mul_ps(_mm512_set1_ps(0.5f), v));
}

// dy (1/2 + sign(x) G(|x|)). The 1/2 is written x 0 + 1/2 so that x = +-inf or NaN gives NaN, as
// Phi(x) + x phi(x) does (inf times exp(-inf) = inf 0).
__attribute__((target("avx512f"))) inline __m512 gelu_grad16(const Polys& g, __m512 v, __m512 d) {
  const __m512 a = _mm512_abs_ps(v);
  const __m512i sign = _mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(INT32_MIN));
  const __m512 signed_g = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(tabulated(g, a)), sign));
  const __m512 half = _mm512_fmadd_ps(v, _mm512_setzero_ps(), _mm512_set1_ps(0.5f));
  return _mm512_mul_ps(d, _mm512_add_ps(half, signed_g));
}

}  // namespace

bool gelu_avx512_available() { return __builtin_cpu_supports("avx512f"); }

__attribute__((target("avx512f"))) void gelu_avx512_forward(const float* x, float* y, int64_t n) {
  const Polys e = load(kHalfErf);
  each16(n, [&](int64_t i, __mmask16 m) __attribute__((target("avx512f"))) {
    _mm512_mask_storeu_ps(y + i, m, gelu16(e, _mm512_maskz_loadu_ps(m, x + i)));
  });
}

__attribute__((target("avx512f"))) void gelu_avx512_backward(const float* x, const float* dy, float* dx, int64_t n) {
  const Polys g = load(kGradPart);
  each16(n, [&](int64_t i, __mmask16 m) __attribute__((target("avx512f"))) {
    _mm512_mask_storeu_ps(dx + i, m, gelu_grad16(g, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, dy + i)));
  });
}

}  // namespace microtorch::kernels

#else  // not x86-64: gelu.cpp keeps its plain vector loops

namespace microtorch::kernels {
bool gelu_avx512_available() { return false; }
void gelu_avx512_forward(const float*, float*, int64_t) {}
void gelu_avx512_backward(const float*, const float*, float*, int64_t) {}
}  // namespace microtorch::kernels

#endif
