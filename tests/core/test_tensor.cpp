// Tensor basics: tensor() and the factories (braced lists, arange, zeros_like, ...), shape and dtype accessors,
// to(dtype) and item<T> as PyTorch converts, scalar literals of every kind, handles and clones sharing or not
// sharing storage. Values are checked against hand-written numbers.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>
#include <limits>

#include "helpers.h"

namespace mt = microtorch;
using namespace helpers;

TEST_CASE("tensor() copies float, int64 and int32 values under the given shape") {
  std::vector<float> values{1, 2, 3, 4, 5, 6};
  mt::Tensor t = mt::tensor(values, {2, 3});
  values[0] = 100.0f;  // the tensor holds its own copy
  REQUIRE(t.shape() == mt::Shape{2, 3});
  REQUIRE(t.dtype() == mt::kFloat32);
  require_values(t, {1, 2, 3, 4, 5, 6});

  mt::Tensor ids = mt::tensor(std::vector<int64_t>{7, -1, 3}, {3});
  REQUIRE(ids.dtype() == mt::kInt64);
  REQUIRE(ids.to_vector<int64_t>() == std::vector<int64_t>{7, -1, 3});

  mt::Tensor ids32 = mt::tensor(std::vector<int32_t>{4, 5, 6, 7}, {2, 2});
  REQUIRE(ids32.dtype() == mt::kInt32);
  REQUIRE(ids32.to_vector<int32_t>() == std::vector<int32_t>{4, 5, 6, 7});
}

TEST_CASE("zeros, ones, full, arange and eye fill as documented") {
  mt::Tensor z = mt::zeros({2, 3});
  REQUIRE(z.shape() == mt::Shape{2, 3});
  require_values(z, std::vector<float>(6, 0.0f));
  mt::Tensor zi = mt::zeros({4}, mt::kInt64);
  REQUIRE(zi.dtype() == mt::kInt64);
  REQUIRE(zi.to_vector<int64_t>() == std::vector<int64_t>(4, 0));

  require_values(mt::ones({3}), {1, 1, 1});
  mt::Tensor f = mt::full({2, 2}, 0.5f);
  REQUIRE(f.shape() == mt::Shape{2, 2});
  require_values(f, {0.5f, 0.5f, 0.5f, 0.5f});

  mt::Tensor r = mt::arange(5);
  REQUIRE(r.dtype() == mt::kInt64);
  REQUIRE(r.shape() == mt::Shape{5});
  REQUIRE(r.to_vector<int64_t>() == std::vector<int64_t>{0, 1, 2, 3, 4});
  require_values(mt::arange(3, mt::kFloat32), {0, 1, 2});
  REQUIRE(mt::arange(3, mt::kInt32).to_vector<int32_t>() == std::vector<int32_t>{0, 1, 2});
  REQUIRE(mt::arange(0).numel() == 0);

  mt::Tensor e = mt::eye(3);
  REQUIRE(e.shape() == mt::Shape{3, 3});
  require_values(e, {1, 0, 0, 0, 1, 0, 0, 0, 1});
}

TEST_CASE("shape, dim, numel, dtype, size and defined") {
  mt::Tensor undefined;
  REQUIRE_FALSE(undefined.defined());
  REQUIRE_THROWS_AS(undefined.shape(), std::runtime_error);

  mt::Tensor t = mt::zeros({2, 3, 4});
  REQUIRE(t.defined());
  REQUIRE(t.shape() == mt::Shape{2, 3, 4});
  REQUIRE(t.dim() == 3);
  REQUIRE(t.numel() == 24);
  REQUIRE(t.dtype() == mt::kFloat32);
  REQUIRE(t.size(0) == 2);
  REQUIRE(t.size(-1) == 4);

  mt::Tensor s = mt::full({}, 2.5f);  // 0-d: one element, no dims
  REQUIRE(s.dim() == 0);
  REQUIRE(s.numel() == 1);
  REQUIRE(mt::zeros({0, 5}).numel() == 0);
}

TEST_CASE("to_vector, item and data_ptr read and write the same storage") {
  mt::Tensor t = mt::tensor(std::vector<float>{1, 2, 3, 4}, {2, 2});
  float* p = t.data_ptr<float>();
  p[3] = 40.0f;  // row-major: element (1, 1)
  require_values(t, {1, 2, 3, 40});

  REQUIRE(mt::full({}, 2.5f).item<float>() == 2.5f);
  REQUIRE(mt::full({1, 1}, -3.0f).item<float>() == -3.0f);
  REQUIRE(mt::tensor(std::vector<int64_t>{9}, {1}).item<int64_t>() == 9);
  REQUIRE(t.sum().item<float>() == Approx(46.0f));
}

TEST_CASE("a copied Tensor handle shares storage") {
  mt::Tensor a = mt::zeros({3});
  mt::Tensor b = a;
  b.data_ptr<float>()[1] = 7.0f;
  require_values(a, {0, 7, 0});
}

TEST_CASE("clone copies into new storage") {
  mt::Tensor t = mt::tensor(std::vector<float>{1, 2, 3}, {3});
  mt::Tensor c = t.clone();
  REQUIRE(c.shape() == t.shape());
  REQUIRE(c.data_ptr<float>() != t.data_ptr<float>());
  c.data_ptr<float>()[0] = -1.0f;
  require_values(t, {1, 2, 3});
  require_values(c, {-1, 2, 3});
  mt::Tensor ids = mt::tensor(std::vector<int64_t>{5, 6}, {2}).clone();
  REQUIRE(ids.to_vector<int64_t>() == std::vector<int64_t>{5, 6});
}

TEST_CASE("factories: braced lists, arange(start, end), zeros_like, ones_like, rand") {
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

TEST_CASE("dtype: kBool, to() between every pair, item<T> converts as PyTorch") {
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

TEST_CASE("scalars: int, float and double literals compile and agree") {
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
