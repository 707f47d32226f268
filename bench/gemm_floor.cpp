// The GPT step's compute floor: every matmul of one step (forward and both backward products, bench.h's
// Gpt sizes) as a plain OpenBLAS SGEMM call on its shape, timed back to back. FLOPs / that time is the
// SGEMM rate on the step's own shapes; the time itself is what a step could not go below.
// OpenBLAS is reached directly (the library links it): the bench's public-API side cannot see core/blas.h.
#include <algorithm>
#include <chrono>
#include <random>
#include <vector>

#include "bench.h"

extern "C" {
char* openblas_get_corename(void);
// CBLAS, row-major (101); 111 no transpose, 112 transpose.
void cblas_sgemm(int order, int trans_a, int trans_b, int M, int N, int K, float alpha, const float* A, int lda,
                 const float* B, int ldb, float beta, float* C, int ldc);
}

namespace bench {

namespace {

struct Gemm {
  bool ta, tb;
  int M, N, K, batch;
};

// One step's matmuls. A Linear (in -> out) on N = B*T rows: Y = X W^T, dX = dY W, dW = dY^T X. Attention per
// (batch, head), D = C/H: S = Q K^T, Y = P V, and backward dP = dY V^T, dV = P^T dY, dQ = dS K, dK = dS^T Q.
std::vector<Gemm> step_gemms() {
  const int N = Gpt::B * Gpt::T, C = Gpt::C, T = Gpt::T, D = Gpt::C / Gpt::H, BH = Gpt::B * Gpt::H;
  std::vector<Gemm> g;
  auto linear = [&](int in, int out) {
    g.push_back({false, true, N, out, in, 1});
    g.push_back({false, false, N, in, out, 1});
    g.push_back({true, false, out, in, N, 1});
  };
  for (int l = 0; l < Gpt::L; ++l) {
    linear(C, 3 * C);
    for (const Gemm& a : {Gemm{false, true, T, T, D, BH}, Gemm{false, false, T, D, T, BH}, Gemm{false, true, T, T, D, BH},
                          Gemm{true, false, T, D, T, BH}, Gemm{false, false, T, D, T, BH}, Gemm{true, false, T, D, T, BH}})
      g.push_back(a);
    linear(C, C);
    linear(C, 4 * C);
    linear(4 * C, C);
  }
  linear(C, Gpt::V);  // the tied head
  return g;
}

}  // namespace

double gpt_step_flops() {
  double f = 0;
  for (const Gemm& g : step_gemms()) f += 2.0 * g.M * g.N * g.K * g.batch;
  return f;
}

double gpt_sgemm_seconds() {
  const std::vector<Gemm> gemms = step_gemms();
  size_t most = 0;
  for (const Gemm& g : gemms) most = std::max<size_t>(most, static_cast<size_t>(std::max({g.M * g.K, g.K * g.N, g.M * g.N})));
  std::vector<float> a(most), b(most), c(most);
  std::mt19937 rng(5);
  std::normal_distribution<float> nd;
  for (auto* v : {&a, &b, &c})
    for (float& x : *v) x = nd(rng);
  auto run = [&] {
    for (const Gemm& g : gemms)
      for (int i = 0; i < g.batch; ++i)
        cblas_sgemm(101, g.ta ? 112 : 111, g.tb ? 112 : 111, g.M, g.N, g.K, 1.0f, a.data(), g.ta ? g.M : g.K, b.data(),
                    g.tb ? g.K : g.N, 0.0f, c.data(), g.N);
  };
  return median_seconds(run, 2, 9);
}

std::string openblas_core() {
  const char* name = openblas_get_corename();
  return name ? name : "unknown";
}

}  // namespace bench
