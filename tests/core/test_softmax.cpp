// core/kernels/softmax_rows.h: the lane-summed softmax rows against the plain loops beside them (one scalar
// sum, a division per element), on row lengths around the 16-lane width, wide ranges of logits and -inf
// (a masked score); the same floats for 1 and 2 threads.
#include <catch2/catch.hpp>
#include <microtorch/core/kernels/softmax_rows.h>
#include <microtorch/microtorch.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace mt = microtorch;
namespace K = microtorch::kernels;

namespace {

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

TEST_CASE("softmax rows: the lane sums give the plain loops' values, forward and backward") {
  for (int64_t N : {1, 2, 15, 16, 17, 31, 64, 100, 1000}) {
    for (float scale : {0.01f, 1.0f, 30.0f}) {
      const int64_t R = 7;
      std::vector<float> x = logits(R * N, scale, static_cast<unsigned>(N)), g = logits(R * N, 1.0f, 99);
      if (N > 3) x[2] = -std::numeric_limits<float>::infinity();  // a masked score: exactly 0 out
      std::vector<float> y(x.size()), y_ref(x.size()), dx(x.size()), dx_ref(x.size());
      K::softmax_rows(x.data(), y.data(), R, N);
      K::softmax_rows_reference(x.data(), y_ref.data(), R, N);
      INFO("N " << N << ", scale " << scale);
      require_rows_near(y, y_ref, y_ref, R, N);
      if (N > 3) REQUIRE(y[2] == 0.0f);
      for (int64_t r = 0; r < R; ++r) {  // each row sums to 1
        double s = 0.0;
        for (int64_t j = 0; j < N; ++j) s += y[r * N + j];
        REQUIRE(std::fabs(s - 1.0) < 1e-5);
      }
      K::softmax_backward_rows(y.data(), g.data(), dx.data(), R, N);
      K::softmax_backward_rows_reference(y.data(), g.data(), dx_ref.data(), R, N);
      require_rows_near(dx, dx_ref, g, R, N);
    }
  }
}

TEST_CASE("softmax rows: 1 and 2 threads give the same floats") {
  const int64_t R = 600, N = 128;  // enough rows to be split
  const std::vector<float> x = logits(R * N, 3.0f, 5), g = logits(R * N, 1.0f, 6);
  std::vector<float> y1(x.size()), y2(x.size()), d1(x.size()), d2(x.size());
  const int before = mt::get_num_threads();
  mt::set_num_threads(1);
  K::softmax_rows(x.data(), y1.data(), R, N);
  K::softmax_backward_rows(y1.data(), g.data(), d1.data(), R, N);
  mt::set_num_threads(2);
  K::softmax_rows(x.data(), y2.data(), R, N);
  K::softmax_backward_rows(y1.data(), g.data(), d2.data(), R, N);
  mt::set_num_threads(before);
  REQUIRE(y1 == y2);
  REQUIRE(d1 == d2);
}
