// Tensor basics: factories, the seeded generator, accessors, views that share storage, detach, clone
// and copy_. Values are checked against hand-written numbers.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace mt = microtorch;

namespace {

void require_values(const mt::Tensor& t, const std::vector<float>& want, double margin = 1e-6) {
  const std::vector<float> got = t.to_vector<float>();
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("flat index " << i);
    REQUIRE(got[i] == Approx(want[i]).margin(margin));
  }
}

}  // namespace

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

TEST_CASE("randn draws float32 standard normals") {
  mt::manual_seed(0);
  mt::Tensor x = mt::randn({100, 100});
  REQUIRE(x.shape() == mt::Shape{100, 100});
  REQUIRE(x.dtype() == mt::kFloat32);
  double s = 0.0, s2 = 0.0;
  for (float v : x.to_vector<float>()) {
    REQUIRE(std::isfinite(v));
    s += v;
    s2 += static_cast<double>(v) * v;
  }
  const double mean = s / 1e4, var = s2 / 1e4 - mean * mean;
  REQUIRE(mean == Approx(0.0).margin(0.05));  // 5 standard errors
  REQUIRE(var == Approx(1.0).margin(0.08));
}

TEST_CASE("randint draws int64 from low to high - 1 and hits every value") {
  mt::manual_seed(1);
  mt::Tensor ids = mt::randint(3, 7, {10, 50});
  REQUIRE(ids.dtype() == mt::kInt64);
  REQUIRE(ids.shape() == mt::Shape{10, 50});
  std::set<int64_t> seen;
  for (int64_t v : ids.to_vector<int64_t>()) {
    REQUIRE(v >= 3);
    REQUIRE(v < 7);
    seen.insert(v);
  }
  REQUIRE(seen == std::set<int64_t>{3, 4, 5, 6});
}

TEST_CASE("manual_seed makes randn and randint reproducible") {
  mt::manual_seed(42);
  const auto a1 = mt::randn({16}).to_vector<float>();
  const auto i1 = mt::randint(0, 1000, {16}).to_vector<int64_t>();
  mt::manual_seed(42);
  const auto a2 = mt::randn({16}).to_vector<float>();
  const auto i2 = mt::randint(0, 1000, {16}).to_vector<int64_t>();
  REQUIRE(a1 == a2);
  REQUIRE(i1 == i2);
  mt::manual_seed(43);
  REQUIRE(mt::randn({16}).to_vector<float>() != a1);
  // without reseeding, the generator moves on
  mt::manual_seed(42);
  mt::randn({16});
  REQUIRE(mt::randn({16}).to_vector<float>() != a1);
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

TEST_CASE("view and reshape infer -1 and share storage") {
  mt::Tensor t = mt::tensor(std::vector<float>{0, 1, 2, 3, 4, 5}, {2, 3});
  mt::Tensor v = t.view({3, -1});
  REQUIRE(v.shape() == mt::Shape{3, 2});
  require_values(v, {0, 1, 2, 3, 4, 5});
  v.data_ptr<float>()[5] = 50.0f;
  REQUIRE(t.to_vector<float>()[5] == 50.0f);

  mt::Tensor r = t.reshape({-1});
  REQUIRE(r.shape() == mt::Shape{6});
  REQUIRE(r.data_ptr<float>() == t.data_ptr<float>());
  REQUIRE(t.reshape({1, -1, 1}).shape() == mt::Shape{1, 6, 1});
  REQUIRE(t.view({6, 1}).shape() == mt::Shape{6, 1});
  REQUIRE(mt::full({}, 1.0f).view({-1}).shape() == mt::Shape{1});
}

TEST_CASE("detach shares storage and leaves the tape") {
  mt::Tensor x = mt::ones({2}).requires_grad_(true);
  mt::Tensor y = x * 2.0f;
  mt::Tensor d = y.detach();
  REQUIRE(y.requires_grad());
  REQUIRE_FALSE(d.requires_grad());
  REQUIRE(d.is_leaf());
  REQUIRE(d.data_ptr<float>() == y.data_ptr<float>());
  require_values(d, {2, 2});
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
