// gemm() against a plain triple loop, under whichever OpenBLAS kernels the process ended up with (the AVX-512
// ones after core/kernels/openblas_core.cpp's switch on an AVX-512 CPU): every transpose flag, alpha/beta, and
// sizes on both sides of the kernels' blocking.
#include <catch2/catch.hpp>
#include <microtorch/core/blas.h>
#include <microtorch/core/kernels/openblas_core.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

// C (M, N) = alpha * op(A) op(B) + beta * C, in double: the oracle.
void plain_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const std::vector<float>& A,
                const std::vector<float>& B, float beta, std::vector<float>& C) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k) s += double(ta ? A[k * M + i] : A[i * K + k]) * (tb ? B[j * K + k] : B[k * N + j]);
      C[i * N + j] = float(alpha * s + (beta == 0.0f ? 0.0 : double(beta) * C[i * N + j]));
    }
}

}  // namespace

TEST_CASE("gemm: OpenBLAS's kernels agree with a plain loop on every flag and odd sizes") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  const int64_t sizes[][3] = {{1, 1, 1}, {3, 5, 7}, {17, 33, 9}, {64, 65, 128}, {129, 31, 257}, {200, 96, 33}};
  for (const auto& s : sizes)
    for (int flags = 0; flags < 4; ++flags) {
      const bool ta = flags & 1, tb = flags & 2;
      const int64_t M = s[0], N = s[1], K = s[2];
      std::vector<float> A(M * K), B(K * N), C(M * N), expected;
      for (float& v : A) v = u(rng);
      for (float& v : B) v = u(rng);
      for (float& v : C) v = u(rng);
      expected = C;
      const float alpha = 0.75f, beta = flags == 3 ? 0.0f : 0.5f;
      plain_gemm(ta, tb, M, N, K, alpha, A, B, beta, expected);
      microtorch::gemm(ta, tb, M, N, K, alpha, A.data(), B.data(), beta, C.data());
      INFO("M " << M << " N " << N << " K " << K << " trans_a " << ta << " trans_b " << tb << " kernels "
                << microtorch::kernels::blas_core_name());
      for (int64_t i = 0; i < M * N; ++i) REQUIRE(std::fabs(C[i] - expected[i]) <= 1e-5f * (1.0f + std::sqrt(float(K))));
    }
}

TEST_CASE("gemm: OpenBLAS's AVX-512 kernels are in use wherever the CPU has AVX-512, unless the user chose") {
  float a = 2.0f, b = 3.0f, c = 0.0f;
  microtorch::gemm(false, false, 1, 1, 1, 1.0f, &a, &b, 0.0f, &c);  // the first gemm makes the choice
  REQUIRE(c == 6.0f);
  const std::string core = microtorch::kernels::blas_core_name();
  INFO("OpenBLAS kernels: " << core);
#if defined(__x86_64__) && defined(__GNUC__)
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  if (avx512 && std::getenv("OPENBLAS_CORETYPE") == nullptr && core != "not OpenBLAS")
    REQUIRE((core == "SkylakeX" || core == "Cooperlake" || core == "SapphireRapids"));
  else
    SUCCEED("no AVX-512, not OpenBLAS, or OPENBLAS_CORETYPE set: OpenBLAS's own choice stands");
#endif
}
