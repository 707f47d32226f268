// The GPT training step's fast loops against the plain loops beside them, on random shapes: clip_grad_norm_'s
// sum of squares and scale (core/grad_kernels.h), the Adam/AdamW element loop (optim/adam_kernel.h),
// layer_norm's rows (nn/layer_norm_rows.h), the strided copy behind contiguous() of a permuted view
// (core/ops/strided.h) and a part's backward written only at the part (accumulate_grad_at, core/ops/views.h).
#include <catch2/catch.hpp>
#include <microtorch/core/grad/norm_kernels.h>
#include <microtorch/core/grad/state.h>
#include <microtorch/core/ops/strided.h>
#include <microtorch/core/ops/views.h>
#include <microtorch/core/kernels/row_sums.h>
#include <microtorch/core/ops/tensor_access.h>
#include <microtorch/core/grad/door.h>
#include <microtorch/microtorch.h>
#include <microtorch/core/kernels/layer_norm_rows.h>
#include <microtorch/core/kernels/adam.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

namespace mt = microtorch;

namespace {
std::vector<float> values(std::mt19937& rng, int64_t n, float lo = -2.0f, float hi = 2.0f) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = u(rng);
  return v;
}
bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}
}  // namespace

TEST_CASE("step kernels: clip's sum of squares and scale match the plain loops") {
  std::mt19937 rng(11);
  for (int64_t n : {0, 1, 7, 15, 16, 17, 100, 1000, 49153}) {
    const std::vector<float> x = values(rng, n, -3.0f, 3.0f);
    const double fast = mt::detail::sum_squares(x.data(), n), plain = mt::detail::sum_squares_plain(x.data(), n);
    REQUIRE(std::fabs(fast - plain) <= 1e-13 * plain);
    std::vector<float> a = x, b = x;
    mt::detail::scale_values(a.data(), n, 0.37f);
    mt::detail::scale_values_plain(b.data(), n, 0.37f);
    REQUIRE(same_bits(a, b));
  }
}

TEST_CASE("step kernels: the Adam/AdamW loop is bit-identical to the plain one") {
  std::mt19937 rng(12);
  for (int variant = 0; variant < 4; ++variant) {
    for (int64_t n : {1, 5, 16, 33, 1000}) {
      mt::kernels::AdamScalars s;
      s.decoupled = variant == 0;
      s.weight_decay = variant != 2;
      s.b1 = 0.9f, s.b2 = 0.99f, s.keep1 = 0.1f, s.keep2 = 0.01f, s.shrink = 0.9999f, s.wd = 0.1f;
      s.bc2_sqrt = 0.3f, s.eps = 1e-8f, s.neg_step = -0.01f;
      const std::vector<float> w0 = values(rng, n), g = values(rng, n), m0 = values(rng, n);
      std::vector<float> v0 = values(rng, n, 0.0f, 1.0f), vmax0 = values(rng, n, 0.0f, 1.0f);
      std::vector<float> w1 = w0, m1 = m0, v1 = v0, vm1 = vmax0, w2 = w0, m2 = m0, v2 = v0, vm2 = vmax0;
      const bool ams = variant == 3;
      for (int step = 0; step < 3; ++step) {
        mt::kernels::adam_kernel(w1.data(), g.data(), m1.data(), v1.data(), ams ? vm1.data() : nullptr, n, s);
        mt::kernels::adam_kernel_plain(w2.data(), g.data(), m2.data(), v2.data(), ams ? vm2.data() : nullptr, n, s);
      }
      REQUIRE(same_bits(w1, w2));
      REQUIRE(same_bits(m1, m2));
      REQUIRE(same_bits(v1, v2));
      REQUIRE(same_bits(vm1, vm2));
    }
  }
}

TEST_CASE("step kernels: layer_norm's fast rows match the plain rows") {
  std::mt19937 rng(13);
  for (int64_t M : {1, 3, 8, 13, 128, 300}) {
    for (int affine = 0; affine < 3; ++affine) {
      const std::vector<float> x = values(rng, M, 5.0f, 9.0f), dy = values(rng, M), w = values(rng, M), b = values(rng, M);
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

TEST_CASE("step kernels: contiguous() of a permuted view equals the element walk on random shapes and orders") {
  std::mt19937 rng(14);
  for (int trial = 0; trial < 60; ++trial) {
    const int64_t n = 1 + trial % 5;
    mt::Shape shape;
    for (int64_t i = 0; i < n; ++i) shape.push_back(std::uniform_int_distribution<int64_t>(trial % 7 == 0 ? 0 : 1, 5)(rng));
    std::vector<int64_t> dims(static_cast<size_t>(n));
    std::iota(dims.begin(), dims.end(), 0);
    std::shuffle(dims.begin(), dims.end() - (trial % 2 == 0 ? 1 : 0), rng);  // half keep the last dim last
    for (const mt::Tensor& a : {mt::randn(shape), mt::randint(0, 100, shape)}) {
      const mt::Tensor p = a.permute(dims);
      mt::Tensor plain = mt::empty(p.shape(), p.dtype());
      mt::detail::copy_strided_plain(plain, p);
      REQUIRE(p.contiguous().to(mt::kFloat64).to_vector<double>() == plain.to(mt::kFloat64).to_vector<double>());
    }
  }
  for (int64_t D : {16, 32, 48, 300}) {  // a head split's runs of D floats
    const mt::Tensor p = mt::randn({2, 3, 4, D}).permute({0, 2, 1, 3});
    mt::Tensor plain = mt::empty(p.shape());
    mt::detail::copy_strided_plain(plain, p);
    REQUIRE(p.contiguous().to_vector<float>() == plain.to_vector<float>());
  }
}

TEST_CASE("step kernels: a part's backward written at the part equals zeros-then-add, leaf and interior, repeated") {
  std::mt19937 rng(15);
  for (int trial = 0; trial < 30; ++trial) {
    const int64_t outer = 1 + trial % 4, D = 2 + trial % 5, inner = 1 + trial % 3;
    const mt::Shape shape{outer, D, inner};
    const bool leaf = trial % 2 == 0;
    mt::Tensor base[2], t[2];
    const mt::Tensor init = mt::randn(shape);
    for (int k = 0; k < 2; ++k) {
      base[k] = init.detach().requires_grad_(true);
      t[k] = leaf ? base[k] : base[k] * 1.0f;  // interior: a gradient that may be borrowed
    }
    for (int rep = 0; rep < 3; ++rep) {  // first into nothing, then onto a gradient
      const int64_t start = std::uniform_int_distribution<int64_t>(0, D - 1)(rng);
      const int64_t len = std::uniform_int_distribution<int64_t>(0, D - start)(rng);
      const int64_t step = 1 + rep % 2;
      const mt::Tensor g = mt::randn({outer, (len + step - 1) / step, inner});
      // the part: [start, start + len) of dim 1 every `step`, in a row-major tensor of the shape
      const mt::detail::Geometry at{g.shape(), {D * inner, inner * step, 1}, start * inner};
      mt::detail::accumulate_grad_at(t[0], g, at);
      mt::Tensor full = mt::zeros(shape);  // the plain path: zeros with g written at the part, added whole
      mt::detail::copy_strided(mt::detail::as_strided(full, at.sizes, at.strides, at.offset), g);
      mt::accumulate_grad(t[1], full);
      auto grad_of = [](const mt::Tensor& u) { return mt::grad::dense(u).to_vector<float>(); };
      REQUIRE(grad_of(t[0]) == grad_of(t[1]));
    }
  }
  // through split's backward: each piece's gradient lands in its own range
  const mt::Tensor x = mt::randn({3, 7}).requires_grad_(true);
  const std::vector<mt::Tensor> parts = x.split(3, 1);
  (parts[0].sum() * 2.0f + parts[2].sum() * 3.0f).backward();
  const std::vector<float> gx = x.grad().to_vector<float>();
  for (int64_t r = 0; r < 3; ++r)
    for (int64_t c = 0; c < 7; ++c) REQUIRE(gx[r * 7 + c] == (c < 3 ? 2.0f : c < 6 ? 0.0f : 3.0f));
}

TEST_CASE("step kernels: row sums in double match the plain chains") {
  std::mt19937 rng(16);
  for (int64_t n : {0, 1, 7, 8, 9, 64, 65, 1000}) {
    const std::vector<float> a = values(rng, n), b = values(rng, n);
    const double s1 = mt::kernels::sum_in_double(a.data(), n), s2 = mt::kernels::sum_in_double_plain(a.data(), n);
    const double d1 = mt::kernels::dot_in_double(a.data(), b.data(), n), d2 = mt::kernels::dot_in_double_plain(a.data(), b.data(), n);
    REQUIRE(std::fabs(s1 - s2) <= 1e-13 * (1.0 + std::fabs(s2)));
    REQUIRE(std::fabs(d1 - d2) <= 1e-13 * (1.0 + std::fabs(d2)));
  }
}
