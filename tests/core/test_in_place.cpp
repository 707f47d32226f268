// Writes in place: copy_, add_, mul_, zero_, fill_ (values, broadcasting, the version counter), the leaf rule
// (a leaf that requires grad is written only under NoGradGuard), and writes to interior values, which are recorded
// so gradients flow through them.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>
#include <functional>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

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

TEST_CASE("in place on an op's reshaped result (a reduction, matmul by a vector, repeat): recorded on that result") {
  mt::manual_seed(5);
  using Op = std::function<mt::Tensor(const mt::Tensor&)>;
  const std::vector<std::pair<const char*, Op>> ops{
      {"sum(1)", [](const mt::Tensor& x) { return x.sum(1); }},
      {"mean(1, keepdim)", [](const mt::Tensor& x) { return x.mean(1, true); }},
      {"max(1)", [](const mt::Tensor& x) { return std::get<0>(x.max(1)); }},
      {"min(1)", [](const mt::Tensor& x) { return std::get<0>(x.min(1)); }},
      {"var(1)", [](const mt::Tensor& x) { return x.var(1); }},
      {"log", [](const mt::Tensor& x) { return (x + 2.0f).log(); }},
      {"matmul (2, 3) x (3)", [](const mt::Tensor& x) { return x.matmul(mt::tensor(std::vector<float>{1, -2, 3}, {3})); }},
      {"matmul (2) x (2, 3)", [](const mt::Tensor& x) { return mt::tensor(std::vector<float>{2, -1}, {2}).matmul(x); }},
      {"repeat", [](const mt::Tensor& x) { return x.repeat({2, 1}); }},
  };
  for (const auto& [name, op] : ops) {
    INFO(name);
    CHECK_FALSE(op(leaf({2, 3})).is_view());
    require_gradcheck(name, [op = op](const Inputs& x) { mt::Tensor y = op(x[0]); y.mul_(3.0f); return y; }, {leaf({2, 3})});
  }
  // Hand-derived: d/dx of 2 * mean over 3 columns is 2/3 for every element.
  mt::Tensor x = mt::ones({2, 3}).requires_grad_(true);
  mt::Tensor m = x.mean(1, true);
  m.mul_(2.0f);
  m.sum().backward();
  require_values(x.grad(), {2.f / 3, 2.f / 3, 2.f / 3, 2.f / 3, 2.f / 3, 2.f / 3});
}

TEST_CASE("in place: an operand computed from the written result is refused before anything changes") {
  const mt::Tensor x = leaf({3, 1, 5});
  mt::Tensor m = x.mean(1, true);
  const std::vector<float> before = m.to_vector<float>();
  CHECK_THROWS_AS(m.add_(m.mean(1, true)), std::invalid_argument);
  CHECK(m.to_vector<float>() == before);
}

TEST_CASE("in place: a backward that reads the op's own result refuses once that result was written, as PyTorch") {
  using Op = std::function<mt::Tensor(const mt::Tensor&)>;
  const std::vector<std::pair<const char*, Op>> ops{
      {"exp", [](const mt::Tensor& x) { return x.exp(); }},
      {"sqrt", [](const mt::Tensor& x) { return x.sqrt(); }},
      {"rsqrt", [](const mt::Tensor& x) { return x.rsqrt(); }},
      {"sigmoid", [](const mt::Tensor& x) { return x.sigmoid(); }},
      {"tanh", [](const mt::Tensor& x) { return x.tanh(); }},
      {"relu", [](const mt::Tensor& x) { return x.relu(); }},
      {"softmax", [](const mt::Tensor& x) { return x.softmax(1); }},
      {"log_softmax", [](const mt::Tensor& x) { return x.log_softmax(1); }},
      {"std", [](const mt::Tensor& x) { return x.std(0, true, true); }},
  };
  for (const auto& [name, op] : ops) {
    INFO(name);
    const mt::Tensor x = leaf({2, 3}, 0.5f, 1.5f);
    mt::Tensor y = op(x);
    y.mul_(3.0f);
    CHECK_THROWS_WITH(y.sum().backward(), Catch::Contains("modified by an in-place operation"));
    CHECK_FALSE(x.grad().defined());
    mt::Tensor z = op(x).clone();  // a clone is written instead: the gradient flows
    z.mul_(3.0f);
    z.sum().backward();
    CHECK(x.grad().defined());
  }
}

TEST_CASE("record refuses a view as an op's own result") {
  const mt::Tensor a = leaf({2, 3});
  mt::Tensor y;
  {
    mt::NoGradGuard off;
    y = a.view({6});
  }
  CHECK_THROWS_AS(mt::record(y, "flat", {a}, [a](const mt::Tensor& dy) { mt::accumulate_grad(a, dy.view({2, 3})); }),
                  std::invalid_argument);
  mt::Tensor own = y.clone();
  mt::record(own, "flat", {a}, [a](const mt::Tensor& dy) { mt::accumulate_grad(a, dy.view({2, 3})); });
  CHECK(own.requires_grad());
}
