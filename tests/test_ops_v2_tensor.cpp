// API version 2's tensor basics: kBool, to(dtype), item<T> converting, the new factories, scalar literals of
// every kind, and the in-place ops (version counter, leaf rule, recorded writes).
#include <cmath>
#include <limits>

#include "ops_v2_helpers.h"
#include <microtorch/core/ops/tensor_access.h>

namespace mt = microtorch;
using namespace ops_v2;

TEST_CASE("v2 factories: braced lists, arange(start, end), zeros_like, ones_like, rand") {
  // These overloads must compile unambiguously next to the std::vector ones.
  mt::Tensor f = mt::tensor({1.f, 2.f}, {2});
  mt::Tensor f1 = mt::tensor({1.f, 2.f, 3.f});
  mt::Tensor d = mt::tensor({0.5, 1.5}, {2, 1});
  mt::Tensor i = mt::tensor({3, 4, 5}, {3});
  mt::Tensor v = mt::tensor(std::vector<int64_t>{7, 8}, {2});
  mt::Tensor vf = mt::tensor(std::vector<float>{1, 2}, {2});
  const int64_t id0 = 5, id1 = 6;
  const float f0 = 0.25f;
  mt::Tensor iv = mt::tensor({id0, id1});  // int64_t variables, not literals
  mt::Tensor fv = mt::tensor({f0, f0}, {1, 2});
  CHECK(iv.to_vector<int64_t>() == std::vector<int64_t>{5, 6});
  CHECK(fv.to_vector<float>() == std::vector<float>{0.25f, 0.25f});
  CHECK(f.dtype() == mt::kFloat32);
  CHECK(f1.shape() == mt::Shape{3});
  CHECK(d.dtype() == mt::kFloat32);
  CHECK(d.shape() == mt::Shape{2, 1});
  CHECK(i.dtype() == mt::kInt64);
  CHECK(i.to_vector<int64_t>() == std::vector<int64_t>{3, 4, 5});
  CHECK(v.to_vector<int64_t>() == std::vector<int64_t>{7, 8});
  CHECK(vf.to_vector<float>() == std::vector<float>{1, 2});
  CHECK_THROWS_AS(mt::tensor({1.f, 2.f}, {3}), std::invalid_argument);

  CHECK(mt::arange(2, 5).to_vector<int64_t>() == std::vector<int64_t>{2, 3, 4});
  CHECK(mt::arange(-2, 1).to_vector<int64_t>() == std::vector<int64_t>{-2, -1, 0});
  CHECK(mt::arange(5, 2).numel() == 0);
  CHECK(mt::arange(4).dtype() == mt::kInt64);
  CHECK(mt::zeros_like(i).dtype() == mt::kInt64);
  CHECK(mt::ones_like(i).to_vector<int64_t>() == std::vector<int64_t>{1, 1, 1});
  CHECK(mt::ones_like(d).to_vector<float>() == std::vector<float>{1, 1});
  mt::manual_seed(3);
  for (float x : mt::rand({4096}).to_vector<float>()) REQUIRE((x >= 0.0f && x < 1.0f));
}

TEST_CASE("v2 dtype: kBool, to() between every pair, item<T> converts as PyTorch") {
  mt::Tensor x = mt::tensor({-1.75f, 0.0f, 2.5f, 3.0f}, {4});
  CHECK(x.to(mt::kInt64).to_vector<int64_t>() == std::vector<int64_t>{-1, 0, 2, 3});  // truncation toward 0
  CHECK(x.to(mt::kInt32).to_vector<int32_t>() == std::vector<int32_t>{-1, 0, 2, 3});
  CHECK(x.to(mt::kBool).to_vector<bool>() == std::vector<bool>{true, false, true, true});
  mt::Tensor b = x.to(mt::kBool);
  CHECK(b.dtype() == mt::kBool);
  CHECK(b.to(mt::kFloat32).to_vector<float>() == std::vector<float>{1, 0, 1, 1});
  CHECK(b.to(mt::kInt64).to(mt::kInt32).to(mt::kFloat32).to_vector<float>() == std::vector<float>{1, 0, 1, 1});
  CHECK(mt::detail::impl_ptr(x.to(mt::kFloat32)) == mt::detail::impl_ptr(x));  // the same tensor, as PyTorch
  CHECK_THROWS_AS(mt::tensor({NAN}).to(mt::kInt64), std::invalid_argument);
  CHECK_THROWS_AS(mt::tensor({3e9f}).to(mt::kInt32), std::invalid_argument);

  CHECK(mt::full({1}, 2.5f).item<double>() == 2.5);
  CHECK(mt::full({1}, 2.75f).item<int64_t>() == 2);
  CHECK(mt::tensor({7}, {1}).item<float>() == 7.0f);
  CHECK(mt::tensor({7}, {1}).item<double>() == 7.0);
  CHECK(b.select(0, 1).item<bool>() == false);
  CHECK(b.select(0, 2).item<int64_t>() == 1);
  CHECK_THROWS_AS(mt::full({1}, NAN).item<int64_t>(), std::invalid_argument);
  CHECK_THROWS_AS(x.item<double>(), std::invalid_argument);  // four elements
  CHECK_THROWS_AS(b.to_vector<float>(), std::invalid_argument);   // to_vector is exact-dtype
  CHECK_THROWS_AS(mt::zeros({2}).to(mt::kBool).requires_grad_(true), std::invalid_argument);
}

TEST_CASE("v2 scalars: int, float and double literals compile and agree") {
  mt::Tensor x = mt::tensor({0.f, 1.f, 2.f}, {3});
  CHECK((x * 2).to_vector<float>() == (x * 2.0f).to_vector<float>());
  CHECK((x * 0.5).to_vector<float>() == std::vector<float>{0, 0.5f, 1});
  CHECK((x + 1).to_vector<float>() == std::vector<float>{1, 2, 3});
  CHECK((x == 0).to_vector<bool>() == std::vector<bool>{true, false, false});
  CHECK((x == 1.0).to_vector<bool>() == std::vector<bool>{false, true, false});
  CHECK((x < 1.5f).to_vector<bool>() == std::vector<bool>{true, true, false});
  mt::Tensor m = x > 0;
  CHECK(x.masked_fill(m, -INFINITY).to_vector<float>()[2] == -INFINITY);
  CHECK(x.masked_fill(m, 0).to_vector<float>() == std::vector<float>{0, 0, 0});
  CHECK(x.masked_fill(m, 1.5).to_vector<float>() == std::vector<float>{0, 1.5f, 1.5f});
  mt::Tensor t = mt::zeros({2});
  t.fill_(3);
  t.mul_(0.5);
  t.mul_(2);
  CHECK(t.to_vector<float>() == std::vector<float>{3, 3});
}

TEST_CASE("v2 in place: add_, mul_, zero_, fill_ values and version counter") {
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

// Found by fuzz_ops: a recorded y.add_(y) / y.mul_(y.view(...)) put y into the inputs of its own new node, a
// reference cycle (ASan: leaked) and a graph that reaches itself. The operand must be the old value.
TEST_CASE("v2 in place: a recorded write whose operand aliases the tensor reads the old value") {
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

TEST_CASE("v2 in place: a leaf that requires grad only under NoGradGuard, and a used value refuses backward") {
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

TEST_CASE("v2 in place on an interior value is recorded: gradients flow through the write") {
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
