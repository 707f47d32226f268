// softmax and log_softmax: values by hand and against a plain loop over any dim, stability on large inputs,
// gradients by hand and by gradcheck; and core/kernels/softmax_rows.h, the lane-summed rows against the plain
// loops beside them (one scalar sum, a division per element), on row lengths around the 16-lane width, wide
// ranges of logits and -inf (a masked score), with the same floats for 1 and 2 threads.
#include <catch2/catch.hpp>
#include <microtorch/core/kernels/softmax_rows.h>
#include <microtorch/microtorch.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "helpers.h"

namespace mt = microtorch;
namespace K = microtorch::kernels;
using namespace helpers;

namespace {

// y[o, :, i] = softmax of x[o, :, i] by the definition, in double.
std::vector<float> softmax_plain(const mt::Tensor& x, int64_t d, bool log) {
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

std::vector<float> logits(int64_t n, float scale, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = d(rng);
  return x;
}

// Within a few ulp of the row's scale: the sums differ only in order, so a value differs by the sum's
// rounding times its weight. The scale is the largest of `ref`'s row (the output for the forward; dy for
// the backward, where y (dy - dot) cancels and the rounding of dot is relative to dy, not to the result).
void require_rows_near(const std::vector<float>& got, const std::vector<float>& want, const std::vector<float>& ref,
                       int64_t R, int64_t N) {
  for (int64_t r = 0; r < R; ++r) {
    float big = 0.0f;
    for (int64_t j = 0; j < N; ++j) big = std::max(big, std::fabs(ref[r * N + j]));
    for (int64_t j = 0; j < N; ++j) {
      INFO("row " << r << " of " << R << ", column " << j << " of " << N << ": " << double(got[r * N + j]) << " vs " << double(want[r * N + j]) << ", row max " << double(big));
      REQUIRE(std::fabs(got[r * N + j] - want[r * N + j]) <= 4e-6f * big + 1e-30f);
    }
  }
}

}  // namespace

TEST_CASE("softmax and log_softmax: values, stability on large inputs, gradients") {
  mt::Tensor x = mt::tensor(std::vector<float>{0, std::log(2.0f), std::log(3.0f), 1, 1, 1}, {2, 3});
  require_values(mt::softmax(x), {1 / 6.0f, 2 / 6.0f, 3 / 6.0f, 1 / 3.0f, 1 / 3.0f, 1 / 3.0f});
  require_values(mt::log_softmax(x, 1),
                 {-1.7917595f, -1.0986123f, -0.6931472f, -1.0986123f, -1.0986123f, -1.0986123f});

  mt::Tensor big = mt::tensor(std::vector<float>{1000, 1000, -1000, 0, 1000, 0}, {2, 3});
  require_values(mt::softmax(big), {0.5f, 0.5f, 0, 0, 1, 0});
  require_values(mt::log_softmax(big), {-0.6931472f, -0.6931472f, -2000.6931472f, -1000, 0, -1000});
  // near the max the result keeps full precision however large the inputs (1e6 + log 2 rounds to 1e6 + 0.6875)
  require_values(mt::log_softmax(mt::full({1, 2}, 1e6f)), {-0.6931472f, -0.6931472f});

  mt::manual_seed(18);
  require_gradcheck("softmax", [](const Inputs& v) { return mt::softmax(v[0]); }, {leaf({3, 4}, -2.0f, 2.0f)});
  require_gradcheck("log_softmax", [](const Inputs& v) { return mt::log_softmax(v[0], -1); },
                    {leaf({2, 2, 5}, -2.0f, 2.0f)});

  // hand-derived on the large rows, seeds e0 and e2: log_softmax da = dy - softmax * sum(dy),
  // softmax da = y * (dy - sum(dy * y))
  const mt::Tensor seed = mt::tensor(std::vector<float>{1, 0, 0, 0, 0, 1}, {2, 3});
  mt::Tensor b = big.clone().requires_grad_(true);
  mt::log_softmax(b).backward(seed);
  require_values(b.grad(), {0.5f, -0.5f, 0, 0, -1, 1});
  mt::zero_grad(b);
  mt::softmax(b).backward(seed);
  require_values(b.grad(), {0.25f, -0.25f, 0, 0, 0, 0});
}

TEST_CASE("softmax and log_softmax over any dim: values by a plain loop, gradcheck") {
  mt::manual_seed(9);
  mt::Tensor x = mt::randn({2, 3, 4}) * 3.0f;
  for (int64_t d : {0, 1, 2, -1, -2}) {
    const int64_t dd = d < 0 ? d + 3 : d;
    INFO("dim " << d);
    const auto s = mt::softmax(x, d).to_vector<float>(), plain = softmax_plain(x, dd, false);
    const auto l = mt::log_softmax(x, d).to_vector<float>(), log_plain = softmax_plain(x, dd, true);
    for (size_t i = 0; i < s.size(); ++i) {
      REQUIRE(s[i] == Approx(plain[i]).margin(1e-6));
      REQUIRE(l[i] == Approx(log_plain[i]).margin(1e-5));
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

TEST_CASE("softmax rows: the lane sums give the plain loops' values, forward and backward") {
  for (int64_t N : {1, 2, 15, 16, 17, 31, 64, 100, 1000}) {
    for (float scale : {0.01f, 1.0f, 30.0f}) {
      const int64_t R = 7;
      std::vector<float> x = logits(R * N, scale, static_cast<unsigned>(N)), g = logits(R * N, 1.0f, 99);
      if (N > 3) x[2] = -std::numeric_limits<float>::infinity();  // a masked score: exactly 0 out
      std::vector<float> y(x.size()), y_plain(x.size()), dx(x.size()), dx_plain(x.size());
      K::softmax_rows(x.data(), y.data(), R, N);
      K::softmax_rows_reference(x.data(), y_plain.data(), R, N);
      INFO("N " << N << ", scale " << scale);
      require_rows_near(y, y_plain, y_plain, R, N);
      if (N > 3) REQUIRE(y[2] == 0.0f);
      for (int64_t r = 0; r < R; ++r) {  // each row sums to 1
        double s = 0.0;
        for (int64_t j = 0; j < N; ++j) s += y[r * N + j];
        REQUIRE(std::fabs(s - 1.0) < 1e-5);
      }
      K::softmax_backward_rows(y.data(), g.data(), dx.data(), R, N);
      K::softmax_backward_rows_reference(y.data(), g.data(), dx_plain.data(), R, N);
      require_rows_near(dx, dx_plain, g, R, N);
    }
  }
}

TEST_CASE("softmax rows: 1 and 2 threads give the same floats") {
  const int64_t R = 600, N = 128;  // enough rows to be split
  const std::vector<float> x = logits(R * N, 3.0f, 5), g = logits(R * N, 1.0f, 6);
  std::vector<float> y1(x.size()), y2(x.size()), d1(x.size()), d2(x.size());
  ThreadsGuard guard;
  mt::set_num_threads(1);
  K::softmax_rows(x.data(), y1.data(), R, N);
  K::softmax_backward_rows(y1.data(), g.data(), d1.data(), R, N);
  mt::set_num_threads(2);
  K::softmax_rows(x.data(), y2.data(), R, N);
  K::softmax_backward_rows(y1.data(), g.data(), d2.data(), R, N);
  REQUIRE(y1 == y2);
  REQUIRE(d1 == d2);
}
