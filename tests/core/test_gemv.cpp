// The GEMV kernels (core/kernels/gemv.cpp) against their plain loops and a double-precision sum: shapes with
// partial lane blocks and row groups, alpha and beta, the same bits for 1 and 2 threads, and gemm() with one
// row of A (which runs them) against OpenBLAS.
#include <catch2/catch.hpp>
#include <microtorch/core/kernels/gemm.h>
#include <microtorch/core/kernels/gemv.h>
#include <microtorch/microtorch.h>

#include <cmath>
#include <random>
#include <vector>

namespace {

namespace mt = microtorch;
namespace k = microtorch::kernels;

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& f : v) f = u(gen);
  return v;
}

// y[n] = alpha * sum_k W[n, k] x[k] + beta * y0[n] in double, and the sum of |terms| (the error's scale).
void exact_rows(int64_t N, int64_t K, float alpha, const std::vector<float>& W, const std::vector<float>& x, float beta,
                const std::vector<float>& y0, std::vector<double>& y, std::vector<double>& scale) {
  for (int64_t n = 0; n < N; ++n) {
    double s = 0.0, a = 0.0;
    for (int64_t j = 0; j < K; ++j) {
      s += static_cast<double>(W[n * K + j]) * x[j];
      a += std::fabs(static_cast<double>(W[n * K + j]) * x[j]);
    }
    y[n] = alpha * s + (beta == 0.0f ? 0.0 : beta * static_cast<double>(y0[n]));
    scale[n] = std::fabs(alpha) * a + std::fabs(beta * y0[n]) + 1e-30;
  }
}

}  // namespace

TEST_CASE("gemv_rows: the fast kernel against the plain loop and a double sum", "[kernels][gemv]") {
  for (const auto& [N, K] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {3, 5}, {4, 16}, {7, 17}, {33, 100},
                                                                     {130, 768}, {517, 3072}, {2051, 64}}) {
    for (const auto& [alpha, beta] : std::vector<std::pair<float, float>>{{1.0f, 0.0f}, {0.5f, 1.0f}, {-2.0f, 0.25f}}) {
      INFO("N " << N << " K " << K << " alpha " << alpha << " beta " << beta);
      const auto W = random_floats(static_cast<size_t>(N * K), 1), x = random_floats(static_cast<size_t>(K), 2);
      const auto y0 = random_floats(static_cast<size_t>(N), 3);
      std::vector<float> fast = y0, plain = y0;
      k::gemv_rows(N, K, alpha, W.data(), x.data(), beta, fast.data());
      k::gemv_rows_plain(N, K, alpha, W.data(), x.data(), beta, plain.data());
      std::vector<double> exact(static_cast<size_t>(N)), scale(static_cast<size_t>(N));
      exact_rows(N, K, alpha, W, x, beta, y0, exact, scale);
      for (int64_t n = 0; n < N; ++n) {
        // float sums of K terms: within K ulps of the terms' magnitude (a loose bound both must meet)
        const double tol = 4.0 * static_cast<double>(K) * 6e-8 * scale[n];
        REQUIRE(std::fabs(fast[n] - exact[n]) <= tol);
        REQUIRE(std::fabs(plain[n] - exact[n]) <= tol);
      }
    }
  }
}

TEST_CASE("gemv_rows: beta 0 never reads y (a NaN there does not leak)", "[kernels][gemv]") {
  const auto W = random_floats(40 * 20, 4), x = random_floats(20, 5);
  std::vector<float> y(40, std::nanf("")), plain(40, std::nanf(""));
  k::gemv_rows(40, 20, 1.0f, W.data(), x.data(), 0.0f, y.data());
  k::gemv_rows_plain(40, 20, 1.0f, W.data(), x.data(), 0.0f, plain.data());
  for (int i = 0; i < 40; ++i) {
    CHECK(std::isfinite(y[i]));
    CHECK(y[i] == Approx(plain[i]).margin(1e-5));
  }
}

TEST_CASE("gemv_cols: the fast kernel gives the plain loop's floats", "[kernels][gemv]") {
  for (const auto& [N, K] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {5, 3}, {513, 7}, {1030, 64}, {64, 1030}}) {
    INFO("N " << N << " K " << K);
    const auto B = random_floats(static_cast<size_t>(N * K), 6), x = random_floats(static_cast<size_t>(K), 7);
    const auto y0 = random_floats(static_cast<size_t>(N), 8);
    std::vector<float> fast = y0, plain = y0;
    k::gemv_cols(N, K, 0.75f, B.data(), x.data(), 0.5f, fast.data());
    k::gemv_cols_plain(N, K, 0.75f, B.data(), x.data(), 0.5f, plain.data());
    CHECK(fast == plain);  // k in order for each column, in both
  }
}

TEST_CASE("gemv: the same bits with 1 and 2 threads", "[kernels][gemv][threads]") {
  const int64_t N = 5003, K = 768;
  const auto W = random_floats(static_cast<size_t>(N * K), 9), x = random_floats(static_cast<size_t>(K), 10);
  const int before = mt::get_num_threads();
  std::vector<float> one(static_cast<size_t>(N)), two(static_cast<size_t>(N)), c1(static_cast<size_t>(K)), c2(static_cast<size_t>(K));
  mt::set_num_threads(1);
  k::gemv_rows(N, K, 1.0f, W.data(), x.data(), 0.0f, one.data());
  k::gemv_cols(K, N, 1.0f, W.data(), random_floats(static_cast<size_t>(N), 11).data(), 0.0f, c1.data());
  mt::set_num_threads(2);
  k::gemv_rows(N, K, 1.0f, W.data(), x.data(), 0.0f, two.data());
  k::gemv_cols(K, N, 1.0f, W.data(), random_floats(static_cast<size_t>(N), 11).data(), 0.0f, c2.data());
  mt::set_num_threads(before);
  CHECK(one == two);
  CHECK(c1 == c2);
}

TEST_CASE("gemm with one row of A runs the GEMV and agrees with OpenBLAS", "[kernels][gemv]") {
  const int64_t N = 301, K = 97;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      INFO("trans_a " << ta << " trans_b " << tb);
      const auto A = random_floats(static_cast<size_t>(K), 12), B = random_floats(static_cast<size_t>(N * K), 13);
      const auto C0 = random_floats(static_cast<size_t>(N), 14);
      std::vector<float> got = C0, want = C0;
      k::gemm(ta, tb, 1, N, K, 1.5f, A.data(), B.data(), 0.5f, got.data());
      k::gemm_packed(k::gemm_openblas, ta, tb, 1, N, K, 1.5f, A.data(), B.data(), 0.5f, want.data());
      for (int64_t n = 0; n < N; ++n) REQUIRE(got[n] == Approx(want[n]).margin(2e-5));
    }
}
