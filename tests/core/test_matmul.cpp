// matmul: 2-D, batched, broadcast batch dims and the 1-D forms as torch.matmul, values by hand and against a
// plain triple loop, gradients by hand and by gradcheck; and the AVX-512 SGEMM (core/kernels/gemm_avx512.cpp)
// against OpenBLAS (gemm_openblas) and a double-precision plain loop: every transpose flag, alpha and beta, sizes
// that leave partial register blocks and cross every cache block, the same bits for 1 and 2 threads.
#include <catch2/catch.hpp>
#include <microtorch/core/kernels/gemm.h>
#include <microtorch/core/kernels/gemm_avx512.h>
#include <microtorch/microtorch.h>

#include <cmath>
#include <limits>
#include <random>

#include "helpers.h"

namespace mt = microtorch;
using namespace helpers;

namespace {

// y (batch, M, N) by the definition, batch dims of a (Ba..., M, K) and b (Bb..., K, N) broadcast.
std::vector<float> matmul_plain(const mt::Tensor& a, const mt::Tensor& b, const mt::Shape& batch) {
  const int64_t M = a.shape()[a.dim() - 2], K = a.shape().back(), N = b.shape().back();
  const auto av = a.to_vector<float>(), bv = b.to_vector<float>();
  const mt::Shape ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  // flat matrix index of operand shape s for the output batch index i (s aligned on the right)
  auto index_of = [&](const mt::Shape& s, int64_t i) {
    int64_t idx = 0, step = 1;
    for (size_t d = batch.size(); d-- > 0;) {
      const int64_t coord = i % batch[d];
      i /= batch[d];
      const size_t lead = batch.size() - s.size();
      if (d >= lead) {
        const int64_t n = s[d - lead];
        idx += (n == 1 ? 0 : coord) * step;
        step *= n;
      }
    }
    return idx;
  };
  std::vector<float> y;
  for (int64_t i = 0; i < mt::shape_numel(batch); ++i) {
    const int64_t ia = index_of(ba, i), ib = index_of(bb, i);
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k) s += double(av[(ia * M + m) * K + k]) * bv[(ib * K + k) * N + n];
        y.push_back(static_cast<float>(s));
      }
  }
  return y;
}

struct GemmCase {
  int64_t M, N, K;
  bool ta, tb;
  float alpha, beta;
};

// op(A) op(B) in double, then alpha * . + beta * C (C not read when beta == 0).
std::vector<float> gemm_plain(const GemmCase& c, const std::vector<float>& A, const std::vector<float>& B, std::vector<float> C) {
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

TEST_CASE("matmul 2-D, batched (B, T, K) x (K, N) and with a 1-D b") {
  const mt::Tensor c = mt::tensor(std::vector<float>{1, 0, 0, 1, 1, 1}, {3, 2});
  mt::Tensor y = mt::matmul(a23(), c);
  REQUIRE(y.shape() == mt::Shape{2, 2});
  require_values(y, {4, 5, 10, 11});

  mt::Tensor batched = mt::matmul(mt::tensor(std::vector<float>{1, 2, 3, 4, 5, 6, 0, 0, 1, -1, 0, 2}, {2, 2, 3}), c);
  REQUIRE(batched.shape() == mt::Shape{2, 2, 2});
  require_values(batched, {4, 5, 10, 11, 1, 1, 1, 2});

  mt::Tensor mv = mt::matmul(a23(), mt::tensor(std::vector<float>{1, 1, 1}, {3}));
  REQUIRE(mv.shape() == mt::Shape{2});
  require_values(mv, {6, 15});

  // hand-derived: y = sum(a c): da = 1 c^T (row sums of c), dc = a^T 1 (column sums of a)
  mt::Tensor a = a23().requires_grad_(true);
  mt::Tensor cg = c.clone().requires_grad_(true);
  mt::matmul(a, cg).sum().backward();
  require_values(a.grad(), {1, 1, 2, 1, 1, 2});
  require_values(cg.grad(), {5, 5, 7, 7, 9, 9});

  mt::manual_seed(16);
  auto mm = [](const Inputs& x) { return mt::matmul(x[0], x[1]); };
  require_gradcheck("matmul", mm, {leaf({2, 3}), leaf({3, 4})});
  require_gradcheck("matmul_batched", mm, {leaf({2, 3, 4}), leaf({4, 5})});
  require_gradcheck("matmul_vec", mm, {leaf({2, 3, 4}), leaf({4})});
  require_gradcheck("matmul_const_b", mm, {leaf({3, 4}), mt::randn({4, 2})});
}

TEST_CASE("matmul: broadcast batch dims against a plain loop") {
  mt::manual_seed(7);
  struct Case { mt::Shape a, b, batch; };
  const std::vector<Case> cases{
      {{2, 3, 4, 5}, {2, 3, 5, 6}, {2, 3}},  // same batch
      {{2, 1, 4, 5}, {3, 5, 2}, {2, 3}},     // size-1 and missing batch dims
      {{4, 5}, {3, 5, 2}, {3}},              // 2-D a against a batch of b
      {{2, 4, 5}, {1, 5, 3}, {2}},
      {{0, 4, 5}, {5, 3}, {0}},              // an empty batch
      {{2, 4, 0}, {2, 0, 3}, {2}},           // K = 0: zeros
  };
  for (const Case& c : cases) {
    INFO(mt::shape_str(c.a) << " x " << mt::shape_str(c.b));
    mt::Tensor a = mt::randn(c.a), b = mt::randn(c.b);
    mt::Tensor y = mt::matmul(a, b);
    mt::Shape want = c.batch;
    want.push_back(c.a[c.a.size() - 2]);
    want.push_back(c.b.back());
    REQUIRE(y.shape() == want);
    const auto got = y.to_vector<float>(), plain = matmul_plain(a, b, c.batch);
    for (size_t i = 0; i < got.size(); ++i) REQUIRE(got[i] == Approx(plain[i]).margin(1e-5));
  }
}

TEST_CASE("matmul: 1-D forms as torch.matmul, errors name both shapes") {
  mt::Tensor v = mt::tensor({1.f, 2.f});
  mt::Tensor m = iota({2, 3});
  require_values(mt::matmul(v, m), {3}, {6, 9, 12});                 // (K) x (K, N)
  require_values(mt::matmul(m.transpose(0, 1), v), {3}, {6, 9, 12});  // (M, K) x (K)
  require_values(mt::matmul(v, v), {}, {5});                          // dot
  require_values(mt::matmul(v, mt::stack({m, m * 2.0f}, 0)), {2, 3}, {6, 9, 12, 12, 18, 24});  // (K) x (B, K, N)
  require_values(mt::matmul(mt::stack({m, m}, 0).transpose(1, 2), v), {2, 3}, {6, 9, 12, 6, 9, 12});
  try {
    mt::matmul(iota({2, 3, 4}), iota({2, 5, 4}));
    FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("[2, 3, 4]") != std::string::npos);
    CHECK(std::string(e.what()).find("[2, 5, 4]") != std::string::npos);
  }
  CHECK_THROWS_AS(mt::matmul(iota({2, 3, 4}), iota({3, 4, 5})), std::invalid_argument);  // batch 2 vs 3
  CHECK_THROWS_AS(mt::matmul(mt::full({}, 1.0f), v), std::invalid_argument);
  CHECK_THROWS_AS(mt::matmul(mt::arange(4).reshape({2, 2}), m), std::invalid_argument);
}

TEST_CASE("matmul: gradcheck of every form, gradients summed over broadcast batch dims") {
  mt::manual_seed(8);
  auto mm = [](const Inputs& x) { return mt::matmul(x[0], x[1]); };
  require_gradcheck("matmul batched", mm, {leaf({2, 3, 2}), leaf({2, 2, 4})});
  require_gradcheck("matmul broadcast", mm, {leaf({2, 1, 3, 2}), leaf({3, 2, 2})});
  require_gradcheck("matmul 2-D x batch", mm, {leaf({3, 2}), leaf({2, 2, 3})});
  require_gradcheck("matmul vec x batch", mm, {leaf({2}), leaf({2, 2, 3})});
  require_gradcheck("matmul batch x vec", mm, {leaf({2, 3, 2}), leaf({2})});
  require_gradcheck("matmul dot", mm, {leaf({3}), leaf({3})});
  require_gradcheck("matmul one side", mm, {mt::rand({2, 3, 2}), leaf({1, 2, 2})});
  // b (1, K, N) used by two batches: its gradient is the sum of both a_i^T dy_i
  mt::Tensor a = iota({2, 1, 2}).requires_grad_(true), b = mt::ones({1, 2, 1}).requires_grad_(true);
  mt::matmul(a, b).sum().backward();
  require_values(b.grad(), {1, 2, 1}, {0 + 2, 1 + 3});
}

TEST_CASE("gemm_avx512: agrees with OpenBLAS and a double loop on every flag, partial blocks and K, N blocking") {
  if (!mt::kernels::gemm_avx512_available()) {
    SUCCEED("this build or CPU has no AVX-512: gemm() uses OpenBLAS");
    return;
  }
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  const int64_t sizes[][3] = {{1, 1, 1},   {1, 33, 2},   {13, 1, 7},    {12, 32, 384}, {25, 65, 385},
                              {97, 31, 17}, {37, 70, 800}, {13, 4100, 5}, {200, 96, 129}};
  for (const auto& s : sizes)
    for (int flags = 0; flags < 8; ++flags) {
      const GemmCase c{s[0], s[1], s[2], bool(flags & 1), bool(flags & 2), flags & 4 ? 0.75f : 1.0f,
                   flags & 4 ? 0.5f : 0.0f};
      std::vector<float> A(c.M * c.K), B(c.K * c.N), C(c.M * c.N);
      for (float& v : A) v = u(rng);
      for (float& v : B) v = u(rng);
      // beta == 0 must not read C: NaN there would show.
      for (float& v : C) v = c.beta == 0.0f ? std::numeric_limits<float>::quiet_NaN() : u(rng);
      const std::vector<float> expected = gemm_plain(c, A, B, C);
      std::vector<float> fast = C, blas = C;
      namespace k = mt::kernels;
      k::gemm_packed(k::gemm_avx512, c.ta, c.tb, c.M, c.N, c.K, c.alpha, A.data(), B.data(), c.beta, fast.data());
      k::gemm_packed(k::gemm_openblas, c.ta, c.tb, c.M, c.N, c.K, c.alpha, A.data(), B.data(), c.beta, blas.data());
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
  if (!mt::kernels::gemm_avx512_available()) return;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  const int64_t M = 150, N = 300, K = 500;
  std::vector<float> A(M * K), B(K * N), C1(M * N), C2(M * N);
  for (float& v : A) v = u(rng);
  for (float& v : B) v = u(rng);
  ThreadsGuard guard;
  mt::set_num_threads(1);
  mt::kernels::gemm_packed(mt::kernels::gemm_avx512, false, true, M, N, K, 1.0f, A.data(), B.data(), 0.0f, C1.data());
  mt::set_num_threads(2);
  mt::kernels::gemm_packed(mt::kernels::gemm_avx512, false, true, M, N, K, 1.0f, A.data(), B.data(), 0.0f, C2.data());
  REQUIRE(C1 == C2);
}
