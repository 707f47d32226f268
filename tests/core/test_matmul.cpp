// API version 2's matmul with broadcast batch dims (and the 1-D forms) against a plain triple loop, and
// softmax / log_softmax over any dim against a plain loop; gradcheck for each form.
#include <cmath>

#include "helpers.h"

namespace mt = microtorch;
using namespace ops_v2;

// y (batch, M, N) by the definition, batch dims of a (Ba..., M, K) and b (Bb..., K, N) broadcast.
static std::vector<float> matmul_loop(const mt::Tensor& a, const mt::Tensor& b, const mt::Shape& batch) {
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

TEST_CASE("v2 matmul: broadcast batch dims against a plain loop") {
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
    const auto got = y.to_vector<float>(), ref = matmul_loop(a, b, c.batch);
    for (size_t i = 0; i < got.size(); ++i) REQUIRE(got[i] == Approx(ref[i]).margin(1e-5));
  }
}

TEST_CASE("v2 matmul: 1-D forms as torch.matmul, errors name both shapes") {
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

TEST_CASE("v2 matmul: gradcheck of every form, gradients summed over broadcast batch dims") {
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

// y[o, :, i] = softmax of x[o, :, i] by the definition, in double.
static std::vector<float> softmax_loop(const mt::Tensor& x, int64_t d, bool log) {
  int64_t outer = 1, inner = 1;
  const int64_t D = x.shape()[d];
  for (int64_t i = 0; i < d; ++i) outer *= x.shape()[i];
  for (int64_t i = d + 1; i < x.dim(); ++i) inner *= x.shape()[i];
  const auto xv = x.to_vector<float>();
  std::vector<float> y(xv.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double mx = -INFINITY, s = 0;
      for (int64_t j = 0; j < D; ++j) mx = std::max(mx, double(xv[(o * D + j) * inner + i]));
      for (int64_t j = 0; j < D; ++j) s += std::exp(xv[(o * D + j) * inner + i] - mx);
      for (int64_t j = 0; j < D; ++j) {
        const double z = xv[(o * D + j) * inner + i] - mx;
        y[(o * D + j) * inner + i] = static_cast<float>(log ? z - std::log(s) : std::exp(z) / s);
      }
    }
  return y;
}

TEST_CASE("v2 softmax and log_softmax over any dim: values by a loop, gradcheck") {
  mt::manual_seed(9);
  mt::Tensor x = mt::randn({2, 3, 4}) * 3.0f;
  for (int64_t d : {0, 1, 2, -1, -2}) {
    const int64_t dd = d < 0 ? d + 3 : d;
    INFO("dim " << d);
    const auto s = mt::softmax(x, d).to_vector<float>(), ref = softmax_loop(x, dd, false);
    const auto l = mt::log_softmax(x, d).to_vector<float>(), lref = softmax_loop(x, dd, true);
    for (size_t i = 0; i < s.size(); ++i) {
      REQUIRE(s[i] == Approx(ref[i]).margin(1e-6));
      REQUIRE(l[i] == Approx(lref[i]).margin(1e-5));
    }
  }
  require_values(mt::softmax(mt::full({}, 3.0f), 0), {}, {1});
  CHECK(mt::softmax(mt::zeros({2, 0, 3}), 1).shape() == mt::Shape{2, 0, 3});
  // a column of -inf but one: exactly 1 there
  require_values(mt::softmax(mt::tensor({-INFINITY, 1.f, 2.f, -INFINITY}, {2, 2}), 0), {2, 2}, {0, 1, 1, 0});
  CHECK_THROWS_AS(mt::softmax(x, 3), std::out_of_range);
  CHECK_THROWS_AS(mt::log_softmax(x, -4), std::out_of_range);
  CHECK_THROWS_AS(mt::softmax(mt::arange(3), 0), std::invalid_argument);
  for (int64_t d : {0, 1, -1}) {
    require_gradcheck("softmax dim " + std::to_string(d), [d](const Inputs& a) { return mt::softmax(a[0], d); }, {leaf({3, 2, 3})});
    require_gradcheck("log_softmax dim " + std::to_string(d), [d](const Inputs& a) { return mt::log_softmax(a[0], d); },
                      {leaf({3, 2, 3})});
  }
}
