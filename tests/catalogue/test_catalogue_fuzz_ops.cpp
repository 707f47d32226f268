// The bad-input catalogue, continued: inputs fuzz_ops (fuzz/ops_v2_rows.h) found in the version-2 ops. Each
// row: the exception type and the words its message must contain; then the model's weights must be unchanged.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <limits>

#include "catalogue.h"

namespace mt = microtorch;

namespace {

// One Linear (3 -> 2): the weights a rejected call must leave alone.
struct Model {
  mt::nn::Linear head{mt::nn::LinearOptions(3, 2)};
  std::vector<std::vector<float>> state() const {
    return {head.weight.to_vector<float>(), head.bias.to_vector<float>()};
  }
};

using catalogue::Throws;
using Rejected = catalogue::Rejected<Model>;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

std::vector<Rejected> rows() {
  using T = Throws;
  return {
      // start + length overflowed int64 (UBSan), so the range check passed on a wrapped value.
      {"narrow(0, 1, INT64_MAX) on (5, 3)", T::OutOfRange, {"narrow", "length 9223372036854775807", "[0, 4]"},
       [](Model&) { (void)mt::ones({5, 3}).narrow(0, 1, kMax); }},
      {"narrow(1, -2, INT64_MAX) on (5, 3)", T::OutOfRange, {"narrow", "length 9223372036854775807", "[0, 2]"},
       [](Model&) { (void)mt::ones({5, 3}).narrow(1, -2, kMax); }},
      {"narrow(0, 0, -1)", T::OutOfRange, {"narrow", "length -1", "[0, 5]"},
       [](Model&) { (void)mt::ones({5, 3}).narrow(0, 0, -1); }},
      // The new node would reach y through z's graph: a reference cycle (ASan: leaked).
      {"y.mul_(relu(y)) on an interior y", T::InvalidArgument, {"mul_", "computed from this tensor", "relu"},
       [](Model& m) {
         mt::Tensor y = m.head.weight * 2.0f;
         y.mul_(mt::relu(y));
       }},
      {"y.add_(exp(y) + 1) on an interior y", T::InvalidArgument, {"add_", "computed from this tensor", "exp"},
       [](Model& m) {
         mt::Tensor y = m.head.weight * 2.0f;
         y.add_(mt::exp(y) + 1.0f);
       }},
  };
}

}  // namespace

TEST_CASE("catalogue fuzz_ops: narrow lengths so large that start + length overflows") {
  catalogue::check_rows(rows(), 11);
}

// chunk computed ceil(D / chunks) as (D + chunks - 1) / chunks, which overflowed for a huge chunks (UBSan) and
// then refused a valid call. As PyTorch: pieces of ceil(5 / chunks) = 1 element each.
TEST_CASE("fuzz_ops: chunk with a huge number of chunks gives pieces of one element, no overflow") {
  const mt::Tensor x = mt::arange(5);
  for (int64_t chunks : {int64_t{5}, int64_t{6}, kMax - 1, kMax}) {
    INFO("chunks " << chunks);
    const std::vector<mt::Tensor> pieces = x.chunk(chunks, 0);
    REQUIRE(pieces.size() == 5);
    for (size_t i = 0; i < pieces.size(); ++i)
      CHECK(pieces[i].to_vector<int64_t>() == std::vector<int64_t>{static_cast<int64_t>(i)});
  }
  const std::vector<mt::Tensor> halves = x.chunk(2, 0);  // ceil(5 / 2) = 3: sizes 3 and 2
  REQUIRE(halves.size() == 2);
  CHECK(halves[1].to_vector<int64_t>() == std::vector<int64_t>{3, 4});
}

TEST_CASE("fuzz_ops: a refused recorded write leaves the tensor and its graph as they were") {
  mt::Tensor w = mt::tensor({1.f, -2.f}, {2});
  w.requires_grad_(true);
  mt::Tensor y = w * 3.0f;
  CHECK_THROWS_AS(y.mul_(mt::relu(y)), std::invalid_argument);
  CHECK(y.to_vector<float>() == std::vector<float>{3, -6});
  y.sum().backward();
  CHECK(w.grad().to_vector<float>() == std::vector<float>{3, 3});
}
