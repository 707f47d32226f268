// Writes in place: copy_, add_, mul_, zero_, fill_ (values, broadcasting, the version counter), the leaf rule
// (a leaf that requires grad is written only under NoGradGuard), and writes to interior values, which are recorded
// so gradients flow through them.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>
#include <limits>

#include "helpers.h"

namespace mt = microtorch;
using namespace helpers;

TEST_CASE("copy_ writes values in place and returns the destination") {
  mt::Tensor dst = mt::zeros({2, 2});
  mt::Tensor alias = dst.view({4});
  mt::Tensor& ret = dst.copy_(mt::tensor(std::vector<float>{1, 2, 3, 4}, {2, 2}));
  REQUIRE(&ret == &dst);
  require_values(dst, {1, 2, 3, 4});
  require_values(alias, {1, 2, 3, 4});
  mt::Tensor ids = mt::zeros({2}, mt::kInt64);
  ids.copy_(mt::tensor(std::vector<int64_t>{8, 9}, {2}));
  REQUIRE(ids.to_vector<int64_t>() == std::vector<int64_t>{8, 9});
}

TEST_CASE("copy_ into a leaf that requires grad needs NoGradGuard") {
  mt::Tensor w = mt::zeros({3}).requires_grad_(true);
  const mt::Tensor src = mt::ones({3});
  REQUIRE_THROWS_AS(w.copy_(src), std::runtime_error);
  require_values(w, {0, 0, 0});  // nothing written before the error
  {
    mt::NoGradGuard no_grad;
    w.copy_(src);
  }
  require_values(w, {1, 1, 1});
  REQUIRE(w.requires_grad());
  REQUIRE(w.is_leaf());
}

TEST_CASE("in place: add_, mul_, zero_, fill_ values and version counter") {
  mt::Tensor t = iota({2, 3});
  const uint64_t v0 = mt::detail::impl_ptr(t)->storage->version;
  t.add_(mt::tensor({10.f, 20.f, 30.f}, {3}));  // broadcast over rows
  CHECK(t.to_vector<float>() == std::vector<float>{10, 21, 32, 13, 24, 35});
  t.mul_(mt::tensor({1.f, 0.f}, {2, 1}));
  CHECK(t.to_vector<float>() == std::vector<float>{10, 21, 32, 0, 0, 0});
  t.mul_(2.0f);
  CHECK(t.to_vector<float>() == std::vector<float>{20, 42, 64, 0, 0, 0});
  t.zero_();
  CHECK(t.sum().item<float>() == 0.0f);
  CHECK(mt::detail::impl_ptr(t)->storage->version == v0 + 4);
  mt::Tensor view = t.view({6});  // a view shares the write
  t.fill_(1.5f);
  CHECK(view.to_vector<float>() == std::vector<float>(6, 1.5f));
  mt::Tensor ids = mt::zeros({3}, mt::kInt64);
  ids.fill_(4);
  CHECK(ids.to_vector<int64_t>() == std::vector<int64_t>{4, 4, 4});
  CHECK_THROWS_AS(ids.fill_(1e30f), std::invalid_argument);
  CHECK_THROWS_AS(t.add_(mt::ones({2})), std::invalid_argument);     // does not broadcast to (2, 3)
  CHECK_THROWS_AS(t.add_(mt::ones({4, 2, 3})), std::invalid_argument);  // would grow t
  CHECK_THROWS_AS(ids.mul_(2.0f), std::invalid_argument);
  t.add_(t);  // aliasing itself
  CHECK(t.to_vector<float>() == std::vector<float>(6, 3.0f));
}

// A recorded y.add_(y) / y.mul_(y.view(...)) must not put y into the inputs of its own new node (a reference cycle,
// and a graph that reaches itself): the operand is the old value.
TEST_CASE("in place: a recorded write whose operand aliases the tensor reads the old value") {
  for (bool through_view : {false, true}) {
    INFO("operand is " << (through_view ? "a view of y" : "y itself"));
    mt::Tensor w = mt::tensor({1.f, 2.f, 3.f}, {3});
    w.requires_grad_(true);
    mt::Tensor y = w * 2.0f;  // interior: the write is recorded
    y.mul_(through_view ? y.view({3}) : y);  // y = (2w)^2 = 4 w^2
    for (const mt::Tensor& input : mt::detail::impl_ptr(y)->grad_fn->inputs)
      CHECK(mt::detail::impl_ptr(input) != mt::detail::impl_ptr(y));
    y.add_(y);  // y = 8 w^2, d/dw = 16 w
    CHECK(y.to_vector<float>() == std::vector<float>{8, 32, 72});
    y.sum().backward();
    CHECK(w.grad().to_vector<float>() == std::vector<float>{16, 32, 48});
  }
}

TEST_CASE("in place: a leaf that requires grad only under NoGradGuard, and a used value refuses backward") {
  mt::Tensor w = mt::ones({3}).requires_grad_(true);
  CHECK_THROWS_AS(w.add_(mt::ones({3})), std::runtime_error);
  CHECK_THROWS_AS(w.mul_(2.0f), std::runtime_error);
  CHECK_THROWS_AS(w.zero_(), std::runtime_error);
  CHECK_THROWS_AS(w.fill_(2), std::runtime_error);
  CHECK(w.to_vector<float>() == std::vector<float>{1, 1, 1});  // nothing written
  {
    mt::NoGradGuard no_grad;
    w.mul_(3.0f);
  }
  CHECK(w.to_vector<float>() == std::vector<float>{3, 3, 3});
  // y * y saves y; writing y afterwards makes that backward refuse
  mt::Tensor y = w * 2.0f;
  mt::Tensor z = (y * y).sum();
  { mt::NoGradGuard no_grad; y.add_(mt::ones({3})); }
  CHECK_THROWS_AS(z.backward(), std::runtime_error);
}

TEST_CASE("in place on an interior value is recorded: gradients flow through the write") {
  mt::manual_seed(4);
  require_gradcheck("add_", [](const Inputs& x) { mt::Tensor y = x[0] * 1.0f; y.add_(x[1]); return y * y; },
                    {leaf({2, 3}), leaf({3})});
  require_gradcheck("mul_ tensor", [](const Inputs& x) { mt::Tensor y = x[0] * 1.0f; y.mul_(x[1]); return y; },
                    {leaf({2, 3}), leaf({2, 1})});
  require_gradcheck("mul_ scalar", [](const Inputs& x) { mt::Tensor y = x[0] + 1.0f; y.mul_(3.0f); return y * x[0]; },
                    {leaf({4})});
  require_gradcheck("fill_", [](const Inputs& x) { mt::Tensor y = x[0] * 2.0f; y.fill_(0.5f); return y * x[0]; },
                    {leaf({4})});
  // A plain tensor written with a value that requires grad becomes part of the graph.
  mt::Tensor u = leaf({2});
  mt::Tensor t = mt::zeros({2});
  t.add_(u);
  CHECK(t.requires_grad());
  (t * 3.0f).sum().backward();
  CHECK(u.grad().to_vector<float>() == std::vector<float>{3, 3});
}
