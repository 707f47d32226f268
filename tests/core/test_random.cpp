// The seeded generator: randn's moments, randint's range, manual_seed's reproducibility, and multinomial's
// frequencies, draws without replacement and validation.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace mt = microtorch;

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

TEST_CASE("multinomial: frequencies, without replacement a permutation, rows, validation") {
  mt::manual_seed(14);
  const auto s = mt::multinomial(mt::tensor({1.f, 0.f, 3.f}), 8000, true).to_vector<int64_t>();
  std::map<int64_t, int> count;
  for (int64_t c : s) ++count[c];
  CHECK(count[1] == 0);  // weight 0 is never drawn
  CHECK(count[2] > 5700);  // expected 6000, sd ~39
  CHECK(count[2] < 6300);
  for (int rep = 0; rep < 20; ++rep) {
    auto p = mt::multinomial(mt::tensor({0.2f, 0.3f, 0.1f, 0.4f}), 4, false).to_vector<int64_t>();
    std::sort(p.begin(), p.end());
    REQUIRE(p == std::vector<int64_t>{0, 1, 2, 3});
  }
  mt::Tensor rows = mt::multinomial(mt::tensor({0.f, 1.f, 1.f, 0.f}, {2, 2}), 3, true);
  CHECK(rows.shape() == mt::Shape{2, 3});
  CHECK(rows.to_vector<int64_t>() == std::vector<int64_t>{1, 1, 1, 0, 0, 0});
  // the same seed draws the same samples
  mt::manual_seed(5);
  const auto a = mt::multinomial(mt::tensor({1.f, 1.f, 1.f}), 10, true).to_vector<int64_t>();
  mt::manual_seed(5);
  CHECK(mt::multinomial(mt::tensor({1.f, 1.f, 1.f}), 10, true).to_vector<int64_t>() == a);
  CHECK_THROWS_AS(mt::multinomial(mt::tensor({1.f, -1.f}), 1, true), std::invalid_argument);
  CHECK_THROWS_AS(mt::multinomial(mt::tensor({1.f, NAN}), 1, true), std::invalid_argument);
  CHECK_THROWS_AS(mt::multinomial(mt::tensor({0.f, 0.f}), 1, true), std::invalid_argument);
  CHECK_THROWS_AS(mt::multinomial(mt::tensor({1.f, 1.f}), 3, false), std::invalid_argument);
  CHECK_THROWS_AS(mt::multinomial(mt::tensor({1.f, 0.f}), 2, false), std::invalid_argument);
  CHECK_THROWS_AS(mt::multinomial(mt::tensor({1.f, 1.f}), 0, true), std::invalid_argument);
  CHECK_THROWS_AS(mt::multinomial(mt::ones({1, 1, 2}), 1, true), std::invalid_argument);
  CHECK_THROWS_AS(mt::multinomial(mt::arange(3), 1, true), std::invalid_argument);
}
