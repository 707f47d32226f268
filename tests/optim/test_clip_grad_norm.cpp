// nn::utils::clip_grad_norm_: the same total norm and clipped step whether the gradient is dense, row-tracked or
// sparse rows; and its 2-norm and scale (core/grad/norm_kernels.h) against the plain loops beside them.
#include <catch2/catch.hpp>
#include <microtorch/core/grad/norm_kernels.h>
#include <microtorch/microtorch.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "helpers.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using namespace helpers;

TEST_CASE("clip_grad_norm_: the same total and clipped step in every gradient mode") {
  std::vector<std::vector<float>> weights;
  std::vector<double> totals;
  for (int mode = 0; mode < 3; ++mode) {  // 0 dense (one_hot x w), 1 default row-tracked, 2 sparse
    INFO("mode " << mode);
    auto w = mt::tensor(std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}, {4, 2}).requires_grad_(true);
    auto bias = mt::zeros({2}).requires_grad_(true);
    const auto ids = mt::tensor(std::vector<int64_t>{2, 0, 2}, {3});
    auto rows = mode == 0 ? mt::matmul(mt::one_hot(ids, 4).to(mt::kFloat32), w) : F::embedding(ids, w, F::EmbeddingFuncOptions().sparse(mode == 2));
    ((rows + bias) * mt::tensor(std::vector<float>{3, 4, 1, 2, 6, 8}, {3, 2})).sum().backward();
    // grad w: row 2 = (3+6, 4+8) = (9, 12), row 0 = (1, 2); grad bias = (10, 14). total = sqrt(81+144+1+4+100+196)
    totals.push_back(mt::nn::utils::clip_grad_norm_({w, bias}, 2.0));
    mt::optim::SGD opt({w, bias}, mt::optim::SGDOptions(1.0));
    opt.step();
    weights.push_back(w.to_vector<float>());
  }
  for (double t : totals) CHECK(t == Approx(std::sqrt(526.0)).epsilon(1e-6));
  const float coef = 2.0f / std::sqrt(526.0f);
  CHECK(weights[0][4] == Approx(5.0f - 9.0f * coef).margin(1e-6));
  CHECK(weights[0][2] == 3.0f);  // row 1: never looked up
  for (int mode = 1; mode < 3; ++mode)
    for (size_t k = 0; k < 8; ++k) CHECK(weights[mode][k] == Approx(weights[0][k]).margin(1e-6));
  auto none = mt::zeros({2}).requires_grad_(true);
  CHECK(mt::nn::utils::clip_grad_norm_({none}, 1.0) == 0.0);
  CHECK_THROWS_AS(mt::nn::utils::clip_grad_norm_({none}, 1.0, -2.0), std::invalid_argument);
}

TEST_CASE("clip_grad_norm_: Norm2 fed in pieces and the scale kernel match the plain loops") {
  std::mt19937 rng(11);
  for (int64_t n : {0, 1, 7, 8, 9, 15, 16, 17, 100, 1000, 49153}) {
    INFO("n " << n);
    const std::vector<float> x = random_floats(rng, n, -3.0f, 3.0f);
    const float plain = mt::detail::norm2_plain(x.data(), n);
    for (int64_t piece : {int64_t(1), int64_t(3), int64_t(8), int64_t(13), n}) {  // pieces of the whole, in order
      mt::detail::Norm2 fast(n);
      for (int64_t at = 0; at < n; at += std::max<int64_t>(piece, 1))
        fast.add(at, x.data() + at, std::min(std::max<int64_t>(piece, 1), n - at));
      REQUIRE(fast.result() == plain);
    }
    // Zeros left out: feeding only the nonzero runs gives the floats of the whole.
    std::vector<float> holes = x;
    for (int64_t k = 0; k < n; ++k)
      if ((k / 5) % 3 == 1) holes[k] = 0.0f;
    mt::detail::Norm2 sparse(n);
    for (int64_t k = 0; k < n; k += 5)
      if ((k / 5) % 3 != 1) sparse.add(k, holes.data() + k, std::min<int64_t>(5, n - k));
    REQUIRE(sparse.result() == mt::detail::norm2_plain(holes.data(), n));
    // The block kernel against lane k % 8 one element at a time.
    float lanes[8] = {0.5f, 0, 0, 0, 0, 0, 0, 1.0f}, want[8] = {0.5f, 0, 0, 0, 0, 0, 0, 1.0f};
    mt::kernels::square_into_lanes(lanes, x.data(), n / 8);
    for (int64_t k = 0; k < n / 8 * 8; ++k) want[k % 8] = std::fma(x[k], x[k], want[k % 8]);
    REQUIRE(same_bits(std::vector<float>(lanes, lanes + 8), std::vector<float>(want, want + 8)));
    std::vector<float> a = x, b = x;
    mt::detail::scale_values(a.data(), n, 0.37f);
    mt::detail::scale_values_plain(b.data(), n, 0.37f);
    REQUIRE(same_bits(a, b));
  }
}
