// The AVX-512 SGEMM (core/kernels/gemm_avx512.cpp) against its plain path, OpenBLAS (gemm_openblas), and a
// double-precision triple loop: every transpose flag, alpha and beta, sizes that leave partial register
// blocks and cross every cache block, and the same bits for 1 and 2 threads.
#include <catch2/catch.hpp>
#include <microtorch/core/kernels/gemm.h>
#include <microtorch/core/kernels/gemm_avx512.h>
#include <microtorch/microtorch.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace {

struct Case {
  int64_t M, N, K;
  bool ta, tb;
  float alpha, beta;
};

// op(A) op(B) in double, then alpha * . + beta * C (C not read when beta == 0).
std::vector<float> plain(const Case& c, const std::vector<float>& A, const std::vector<float>& B, std::vector<float> C) {
  for (int64_t i = 0; i < c.M; ++i)
    for (int64_t j = 0; j < c.N; ++j) {
      double s = 0;
      for (int64_t k = 0; k < c.K; ++k)
        s += double(c.ta ? A[k * c.M + i] : A[i * c.K + k]) * double(c.tb ? B[j * c.K + k] : B[k * c.N + j]);
      C[i * c.N + j] = float(c.alpha * s + (c.beta == 0.0f ? 0.0 : double(c.beta) * C[i * c.N + j]));
    }
  return C;
}

}  // namespace

TEST_CASE("gemm_avx512: agrees with OpenBLAS and a double loop on every flag, partial blocks and K, N blocking") {
  if (!microtorch::kernels::gemm_avx512_available()) {
    SUCCEED("this build or CPU has no AVX-512: gemm() uses OpenBLAS");
    return;
  }
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  const int64_t sizes[][3] = {{1, 1, 1},   {1, 33, 2},   {13, 1, 7},    {12, 32, 384}, {25, 65, 385},
                              {97, 31, 17}, {37, 70, 800}, {13, 4100, 5}, {200, 96, 129}};
  for (const auto& s : sizes)
    for (int flags = 0; flags < 8; ++flags) {
      const Case c{s[0], s[1], s[2], bool(flags & 1), bool(flags & 2), flags & 4 ? 0.75f : 1.0f,
                   flags & 4 ? 0.5f : 0.0f};
      std::vector<float> A(c.M * c.K), B(c.K * c.N), C(c.M * c.N);
      for (float& v : A) v = u(rng);
      for (float& v : B) v = u(rng);
      // beta == 0 must not read C: NaN there would show.
      for (float& v : C) v = c.beta == 0.0f ? std::numeric_limits<float>::quiet_NaN() : u(rng);
      const std::vector<float> expected = plain(c, A, B, C);
      std::vector<float> fast = C, blas = C;
      microtorch::kernels::gemm_avx512(c.ta, c.tb, c.M, c.N, c.K, c.alpha, A.data(), B.data(), c.beta, fast.data());
      microtorch::kernels::gemm_openblas(c.ta, c.tb, c.M, c.N, c.K, c.alpha, A.data(), B.data(), c.beta, blas.data());
      INFO("M " << c.M << " N " << c.N << " K " << c.K << " trans_a " << c.ta << " trans_b " << c.tb << " beta "
                << c.beta);
      const float tol = 2e-6f * float(c.K) + 1e-6f;
      for (int64_t i = 0; i < c.M * c.N; ++i) {
        REQUIRE(std::fabs(fast[i] - expected[i]) <= tol);
        REQUIRE(std::fabs(fast[i] - blas[i]) <= 2 * tol);
      }
    }
}

TEST_CASE("gemm_avx512: the same bits for 1 and 2 threads") {
  if (!microtorch::kernels::gemm_avx512_available()) return;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  const int64_t M = 150, N = 300, K = 500;
  std::vector<float> A(M * K), B(K * N), C1(M * N), C2(M * N);
  for (float& v : A) v = u(rng);
  for (float& v : B) v = u(rng);
  const int before = microtorch::get_num_threads();
  microtorch::set_num_threads(1);
  microtorch::kernels::gemm_avx512(false, true, M, N, K, 1.0f, A.data(), B.data(), 0.0f, C1.data());
  microtorch::set_num_threads(2);
  microtorch::kernels::gemm_avx512(false, true, M, N, K, 1.0f, A.data(), B.data(), 0.0f, C2.data());
  microtorch::set_num_threads(before);
  REQUIRE(C1 == C2);
}
