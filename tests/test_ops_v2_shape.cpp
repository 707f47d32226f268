// API version 2's shape ops: unsqueeze/squeeze (views), permute/transpose/narrow/select/slice/split/chunk
// (copies), cat and stack. Values against plain loops, gradcheck for each, negative dims, empty and size-1
// dims, and errors naming the bad dim or index with the valid range.
#include <string>

#include "ops_v2_helpers.h"
#include <microtorch/core/ops/tensor_access.h>

namespace mt = microtorch;
using namespace ops_v2;

static std::string message_of(const std::function<void()>& f) {
  try { f(); } catch (const std::out_of_range& e) { return e.what(); }
  return "no std::out_of_range";
}

TEST_CASE("v2 unsqueeze and squeeze share storage, and contiguous is the same tensor") {
  mt::Tensor x = iota({3, 4});
  CHECK(x.unsqueeze(0).shape() == mt::Shape{1, 3, 4});
  CHECK(x.unsqueeze(-1).shape() == mt::Shape{3, 4, 1});
  CHECK(x.unsqueeze(2).shape() == mt::Shape{3, 4, 1});
  CHECK(x.unsqueeze(0).squeeze(0).shape() == x.shape());
  CHECK(x.squeeze(0).shape() == x.shape());  // size 3: unchanged, as PyTorch
  CHECK(iota({1, 3, 1}).squeeze().shape() == mt::Shape{3});
  CHECK(mt::full({}, 2.0f).unsqueeze(0).shape() == mt::Shape{1});
  CHECK(mt::full({}, 2.0f).squeeze(0).shape() == mt::Shape{});
  CHECK(mt::detail::raw_data(x.unsqueeze(1)) == mt::detail::raw_data(x));
  CHECK(mt::detail::impl_ptr(x.contiguous()) == mt::detail::impl_ptr(x));
  CHECK_THROWS_AS(x.unsqueeze(3), std::out_of_range);
  CHECK_THROWS_AS(x.squeeze(-3), std::out_of_range);
  mt::manual_seed(1);
  require_gradcheck("unsqueeze/squeeze", [](const Inputs& a) { return a[0].unsqueeze(1).squeeze(1) * a[0].unsqueeze(0); },
                    {leaf({2, 3})});
}

TEST_CASE("v2 permute and transpose: values by a loop, negative dims, any dtype, gradcheck") {
  mt::Tensor x = iota({2, 3, 4});
  mt::Tensor p = x.permute({2, 0, 1});
  REQUIRE(p.shape() == mt::Shape{4, 2, 3});
  const auto xv = x.to_vector<float>(), pv = p.to_vector<float>();
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 2; ++j)
      for (int64_t k = 0; k < 3; ++k) REQUIRE(pv[(i * 2 + j) * 3 + k] == xv[(j * 3 + k) * 4 + i]);
  CHECK(x.permute({-1, 0, 1}).to_vector<float>() == pv);
  CHECK(x.transpose(-2, -1).to_vector<float>() == x.permute({0, 2, 1}).to_vector<float>());
  CHECK(x.transpose(0, 0).to_vector<float>() == xv);
  CHECK(mt::arange(6).reshape({2, 3}).transpose(0, 1).to_vector<int64_t>() == std::vector<int64_t>{0, 3, 1, 4, 2, 5});
  CHECK(mt::zeros({0, 3}).transpose(0, 1).shape() == mt::Shape{3, 0});
  CHECK(mt::full({}, 1.0f).transpose(0, -1).shape() == mt::Shape{});
  CHECK_THROWS_AS(x.permute({0, 1}), std::invalid_argument);
  CHECK_THROWS_AS(x.permute({0, 0, 1}), std::invalid_argument);
  CHECK(message_of([&] { x.transpose(0, 3); }).find("[-3, 2]") != std::string::npos);
  mt::manual_seed(2);
  require_gradcheck("permute", [](const Inputs& a) { return a[0].permute({1, 2, 0}); }, {leaf({2, 3, 2})});
  require_gradcheck("transpose", [](const Inputs& a) { return a[0].transpose(-1, 0); }, {leaf({3, 2, 2})});
}

TEST_CASE("v2 narrow, select, slice: views of a range, clamping, errors naming the index") {
  mt::Tensor x = iota({3, 4});
  require_values(x.narrow(1, 1, 2), {3, 2}, {1, 2, 5, 6, 9, 10});
  require_values(x.narrow(-2, 2, 1), {1, 4}, {8, 9, 10, 11});
  require_values(x.narrow(0, -1, 1), {1, 4}, {8, 9, 10, 11});
  CHECK(x.narrow(1, 4, 0).shape() == mt::Shape{3, 0});
  require_values(x.select(1, -1), {3}, {3, 7, 11});
  require_values(x.select(0, 1), {4}, {4, 5, 6, 7});
  require_values(x.slice(1, 1, 3), {3, 2}, {1, 2, 5, 6, 9, 10});
  require_values(x.slice(1, -2, 100), {3, 2}, {2, 3, 6, 7, 10, 11});
  CHECK(x.slice(0, 2, 1).shape() == mt::Shape{0, 4});
  CHECK(mt::arange(6).reshape({2, 3}).select(1, 2).to_vector<int64_t>() == std::vector<int64_t>{2, 5});
  // a view, as PyTorch: writing it writes x
  mt::Tensor row = x.select(0, 0);
  row.fill_(-1.0f);
  CHECK(x.to_vector<float>()[0] == -1.0f);
  x = iota({3, 4});
  const std::string sel = message_of([&] { x.select(1, 4); });
  CHECK(sel.find("index 4") != std::string::npos);
  CHECK(sel.find("[-4, 3]") != std::string::npos);
  CHECK_THROWS_AS(x.select(2, 0), std::out_of_range);
  CHECK_THROWS_AS(x.narrow(1, 3, 2), std::out_of_range);
  CHECK_THROWS_AS(x.narrow(1, 5, 0), std::out_of_range);
  CHECK_THROWS_AS(x.narrow(1, 0, -1), std::out_of_range);
  CHECK_THROWS_AS(mt::full({}, 1.0f).select(0, 0), std::out_of_range);
  mt::manual_seed(3);
  require_gradcheck("narrow", [](const Inputs& a) { return a[0].narrow(1, 1, 2); }, {leaf({2, 4, 2})});
  require_gradcheck("select", [](const Inputs& a) { return a[0].select(-1, 1) * a[0].select(0, 0); }, {leaf({3, 3})});
  require_gradcheck("slice", [](const Inputs& a) { return a[0].slice(0, 1, 3); }, {leaf({4, 2})});
}

TEST_CASE("v2 split and chunk: PyTorch's piece sizes, and gradients of every piece add up") {
  mt::Tensor x = iota({2, 5});
  auto s = x.split(2, 1);
  REQUIRE(s.size() == 3);
  require_values(s[0], {2, 2}, {0, 1, 5, 6});
  require_values(s[2], {2, 1}, {4, 9});
  auto c = x.chunk(2, -1);  // ceil(5 / 2) = 3: pieces of 3 and 2
  REQUIRE(c.size() == 2);
  CHECK(c[0].shape() == mt::Shape{2, 3});
  CHECK(c[1].shape() == mt::Shape{2, 2});
  CHECK(iota({6}).chunk(4).size() == 3);  // pieces of 2: fewer than asked, as PyTorch
  CHECK(iota({2}).chunk(5).size() == 2);
  CHECK(mt::zeros({0, 2}).split(3, 0).size() == 1);
  CHECK_THROWS_AS(x.split(0, 1), std::invalid_argument);
  CHECK_THROWS_AS(x.chunk(0, 1), std::invalid_argument);
  CHECK_THROWS_AS(x.split(1, 2), std::out_of_range);
  mt::manual_seed(4);
  require_gradcheck("split", [](const Inputs& a) {
    auto p = a[0].split(2, 0);
    return p[0].sum(0, false) * 2.0f + p[1].sum(0, false) * p[2].sum(0, false);
  }, {leaf({5, 2})});
  require_gradcheck("chunk", [](const Inputs& a) { auto p = a[0].chunk(3, 1); return p[0] * p[2]; }, {leaf({2, 3})});
}

TEST_CASE("v2 cat and stack: values, dtypes, empty pieces, errors, gradcheck") {
  mt::Tensor a = iota({2, 2}), b = iota({2, 1}) + 10.0f;
  require_values(mt::cat({a, b}, 1), {2, 3}, {0, 1, 10, 2, 3, 11});
  require_values(mt::cat({a, a}, -2), {4, 2}, {0, 1, 2, 3, 0, 1, 2, 3});
  require_values(mt::cat({a, mt::zeros({0, 2})}, 0), {2, 2}, {0, 1, 2, 3});
  require_values(mt::stack({a, a * 2.0f}, 0), {2, 2, 2}, {0, 1, 2, 3, 0, 2, 4, 6});
  require_values(mt::stack({a, a * 2.0f}, -1), {2, 2, 2}, {0, 0, 1, 2, 2, 4, 3, 6});
  CHECK(mt::cat({mt::arange(2), mt::arange(3)}, 0).to_vector<int64_t>() == std::vector<int64_t>{0, 1, 0, 1, 2});
  CHECK(mt::stack({mt::full({}, 1.0f), mt::full({}, 2.0f)}, 0).to_vector<float>() == std::vector<float>{1, 2});
  CHECK_THROWS_AS(mt::cat({}, 0), std::invalid_argument);
  CHECK_THROWS_AS(mt::cat({a, b}, 0), std::invalid_argument);
  CHECK_THROWS_AS(mt::cat({a, mt::arange(4).reshape({2, 2})}, 0), std::invalid_argument);
  CHECK_THROWS_AS(mt::cat({a, a}, 2), std::out_of_range);
  CHECK_THROWS_AS(mt::stack({a, b}, 0), std::invalid_argument);
  CHECK_THROWS_AS(mt::stack({a, a}, 3), std::out_of_range);
  mt::manual_seed(5);
  require_gradcheck("cat", [](const Inputs& x) { return mt::cat({x[0], x[1], x[0]}, 1); }, {leaf({2, 1, 2}), leaf({2, 3, 2})});
  require_gradcheck("cat const", [](const Inputs& x) { return mt::cat({x[0], x[1]}, 0); }, {leaf({1, 2}), mt::rand({2, 2})});
  require_gradcheck("stack", [](const Inputs& x) { return mt::stack({x[0], x[1] * x[0]}, 1); }, {leaf({2, 3}), leaf({2, 3})});
}
