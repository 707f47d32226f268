// layer_norm (F::layer_norm and nn::LayerNorm): a hand-computed row, gradcheck with and without affine over one
// and two dims, precision on rows with a large mean, the same floats for 1 and 2 threads with dw and db against
// plain sums over the rows; and the fast rows (core/kernels/layer_norm_rows.h) against the plain rows beside them.
#include <catch2/catch.hpp>
#include <microtorch/core/kernels/layer_norm_rows.h>
#include <microtorch/microtorch.h>

#include <cmath>
#include <random>

#include "helpers.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using namespace helpers;

TEST_CASE("layer_norm: a hand-computed row, and gradcheck with and without affine, over one and two dims") {
  const mt::Tensor x = mt::tensor(std::vector<float>{1, 2, 3, 4}, {1, 4});
  const auto y = F::layer_norm(x, F::LayerNormFuncOptions({4})).to_vector<float>();
  const double rstd = 1.0 / std::sqrt(1.25 + 1e-5);  // mean 2.5, biased var 1.25
  for (int j = 0; j < 4; ++j) CHECK(y[j] == Approx((j + 1 - 2.5) * rstd).margin(1e-6));
  mt::manual_seed(1);
  const mt::Tensor xs = randn_leaf({3, 2, 5}), w1 = randn_leaf({5}), b1 = randn_leaf({5}), w2 = randn_leaf({2, 5}),
                   b2 = randn_leaf({2, 5});
  require_gradcheck("layer_norm affine", [](const Inputs& in) {
    return F::layer_norm(in[0], F::LayerNormFuncOptions({5}).weight(in[1]).bias(in[2]));
  }, {xs, w1, b1});
  require_gradcheck("layer_norm over (2, 5)", [](const Inputs& in) {
    return F::layer_norm(in[0], F::LayerNormFuncOptions({2, 5}).weight(in[1]).bias(in[2]).eps(1e-3));
  }, {xs, w2, b2});
  require_gradcheck("layer_norm without affine",
                    [](const Inputs& in) { return F::layer_norm(in[0], F::LayerNormFuncOptions({5})); }, {xs});
  mt::nn::LayerNorm ln(mt::nn::LayerNormOptions({5}).bias(false));
  CHECK(ln.parameters().size() == 1);
  CHECK(ln(xs).shape() == xs.shape());
  CHECK_THROWS_AS(F::layer_norm(xs, F::LayerNormFuncOptions({3})), std::invalid_argument);
}

TEST_CASE("layer_norm: a row with a large mean keeps its precision (sums in double)") {
  std::vector<float> v(64);
  for (size_t j = 0; j < v.size(); ++j) v[j] = 1e4f + static_cast<float>(j % 2);  // mean 1e4 + 0.5, var 0.25
  const auto y = F::layer_norm(mt::tensor(v, {1, 64}), F::LayerNormFuncOptions({64}).eps(0.0)).to_vector<float>();
  for (size_t j = 0; j < v.size(); ++j) CHECK(y[j] == Approx(j % 2 ? 1.0 : -1.0).margin(1e-5));
}

// The rows are split among threads and the weight and bias gradients summed in fixed chunks of rows: the
// floats must not depend on the thread count, and the chunked sums must match one plain sum over all rows.
TEST_CASE("layer_norm: 1 and 2 threads give the same floats, and dw and db match plain sums over the rows") {
  ThreadsGuard guard;
  const int64_t N = 1000, M = 100;  // 1000 rows: 16 chunks, enough elements for both threads
  const mt::Tensor x = mt::randn({N, M}) * 3.0f + 1.0f, w0 = mt::randn({M}), b0 = mt::randn({M}), g = mt::randn({N, M});
  auto run = [&](int threads) {
    mt::set_num_threads(threads);
    const mt::Tensor xl = x.detach().requires_grad_(true), w = w0.detach().requires_grad_(true),
                     b = b0.detach().requires_grad_(true);
    const mt::Tensor y = F::layer_norm(xl, F::LayerNormFuncOptions({M}).weight(w).bias(b));
    y.backward(g);
    return std::vector<std::vector<float>>{y.to_vector<float>(), xl.grad().to_vector<float>(),
                                           w.grad().to_vector<float>(), b.grad().to_vector<float>()};
  };
  const auto one = run(1), two = run(2);
  for (size_t k = 0; k < one.size(); ++k) REQUIRE(one[k] == two[k]);
  // dw[j] = sum_n g[n, j] * x_hat[n, j], db[j] = sum_n g[n, j], in double with x_hat from a double mean and var
  const auto xv = x.to_vector<float>(), gv = g.to_vector<float>();
  std::vector<double> dw(M, 0.0), db(M, 0.0);
  for (int64_t n = 0; n < N; ++n) {
    double mean = 0.0, var = 0.0;
    for (int64_t j = 0; j < M; ++j) mean += xv[n * M + j];
    mean /= M;
    for (int64_t j = 0; j < M; ++j) var += (xv[n * M + j] - mean) * (xv[n * M + j] - mean);
    const double rstd = 1.0 / std::sqrt(var / M + 1e-5);
    for (int64_t j = 0; j < M; ++j) {
      dw[j] += gv[n * M + j] * (xv[n * M + j] - mean) * rstd;
      db[j] += gv[n * M + j];
    }
  }
  for (int64_t j = 0; j < M; ++j) {
    INFO("column " << j);
    REQUIRE(std::fabs(one[2][j] - dw[j]) <= 1e-4 * (1.0 + std::fabs(dw[j])));
    REQUIRE(std::fabs(one[3][j] - db[j]) <= 1e-5 * (1.0 + std::fabs(db[j])));
  }
}

TEST_CASE("layer_norm: the fast rows match the plain rows") {
  std::mt19937 rng(13);
  for (int64_t M : {1, 3, 8, 13, 128, 300}) {
    for (int affine = 0; affine < 3; ++affine) {
      const std::vector<float> x = random_floats(rng, M, 5.0f, 9.0f), dy = random_floats(rng, M),
                               w = random_floats(rng, M), b = random_floats(rng, M);
      const float* wp = affine >= 1 ? w.data() : nullptr;
      const float* bp = affine == 2 ? b.data() : nullptr;
      std::vector<float> y1(M), y2(M);
      float mean1, rstd1, mean2, rstd2;
      mt::kernels::layer_norm_row(x.data(), wp, bp, M, 1e-5f, y1.data(), &mean1, &rstd1);
      mt::kernels::layer_norm_row_plain(x.data(), wp, bp, M, 1e-5f, y2.data(), &mean2, &rstd2);
      REQUIRE(mean1 == mean2);
      REQUIRE(std::fabs(rstd1 - rstd2) <= 1e-6f * rstd2);
      for (int64_t j = 0; j < M; ++j) REQUIRE(std::fabs(y1[j] - y2[j]) <= 1e-5f * (1.0f + std::fabs(y2[j])));
      std::vector<double> dw1(M, 0.5), db1(M, -0.5), dw2(M, 0.5), db2(M, -0.5);
      std::vector<float> dx1(M), dx2(M);
      mt::kernels::layer_norm_row_backward(x.data(), dy.data(), wp, mean2, rstd2, M, dw1.data(), db1.data(), dx1.data());
      mt::kernels::layer_norm_row_backward_plain(x.data(), dy.data(), wp, mean2, rstd2, M, dw2.data(), db2.data(), dx2.data());
      for (int64_t j = 0; j < M; ++j) {
        REQUIRE(std::fabs(dx1[j] - dx2[j]) <= 1e-5f * (1.0f + std::fabs(dx2[j])));
        REQUIRE(dw1[j] == dw2[j]);
        REQUIRE(db1[j] == db2[j]);
      }
    }
  }
}
