// core/grad/id_sort.h: the radix sort of (id, position) pairs against std::sort of the pairs (its plain path),
// for ids of one to five bytes, few and many repeats, and sizes around the point where it takes over.
#include <catch2/catch.hpp>
#include <microtorch/core/grad/id_sort.h>

#include <algorithm>
#include <random>

namespace D = microtorch::detail;

TEST_CASE("sort_by_id: the same pairs in the same order as std::sort, ties in position order") {
  std::mt19937_64 rng(29);
  std::vector<D::IdPosition> scratch;  // reused across calls, as the row walk does
  for (size_t n : {0, 1, 255, 256, 257, 8192, 100000})
    for (int64_t V : {int64_t(1), int64_t(5), int64_t(256), int64_t(50257), int64_t(1) << 40}) {
      INFO("n " << n << ", ids in [0, " << V << ")");
      std::vector<D::IdPosition> pairs(n);
      for (size_t k = 0; k < n; ++k) pairs[k] = {static_cast<int64_t>(rng() % static_cast<uint64_t>(V)), k};
      std::vector<D::IdPosition> want = pairs;
      D::sort_by_id_plain(want);
      D::sort_by_id(pairs, scratch);
      REQUIRE(pairs == want);
    }
}

TEST_CASE("sort_by_id: stable for pairs not made in position order") {
  std::mt19937_64 rng(31);
  std::vector<D::IdPosition> pairs(5000), scratch;
  for (size_t k = 0; k < pairs.size(); ++k) pairs[k] = {static_cast<int64_t>(rng() % 70000), rng() % 1000};
  std::vector<D::IdPosition> want = pairs;
  std::stable_sort(want.begin(), want.end(), [](const D::IdPosition& a, const D::IdPosition& b) { return a.first < b.first; });
  D::sort_by_id(pairs, scratch);
  REQUIRE(pairs == want);
}
