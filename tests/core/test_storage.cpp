// The storage behind tensors: the cache of freed blocks (reuse, best fit, bounded by the peak, turned off), and
// large blocks (core/kernels/huge_pages.h) starting on a 2 MB boundary with the cache on or off.
#include <catch2/catch.hpp>
#include <microtorch/core/kernels/huge_pages.h>
#include <microtorch/core/ops/tensor_access.h>
#include <microtorch/microtorch.h>

#include <cstdint>

namespace mt = microtorch;

TEST_CASE("storage cache: a freed block is reused, bounded by the peak, and can be turned off") {
  const bool was = mt::storage_cache_enabled();
  mt::set_storage_cache_enabled(true);
  const auto before = mt::storage_cache_stats();
  void* first = nullptr;
  {
    mt::Tensor t = mt::empty({1 << 18});  // 1 MB: above the small-storage size
    first = mt::detail::raw_data(t);
  }
  mt::Tensor again = mt::empty({1 << 18});
  REQUIRE(mt::detail::raw_data(again) == first);  // the same block, back from the cache
  REQUIRE(mt::storage_cache_stats().hits == before.hits + 1);
  {
    void* held = nullptr;
    {
      mt::Tensor t = mt::empty({1 << 17});  // 512 KB, freed: the only cached block of its class
      held = mt::detail::raw_data(t);
    }
    mt::Tensor smaller = mt::empty({(1 << 17) - (1 << 14)});  // 448 KB: best fit takes the 512 KB block
    REQUIRE(mt::detail::raw_data(smaller) == held);
  }
  {
    mt::Tensor big = mt::empty({1 << 20});  // a miss: the 1 MB block in use stays, nothing fits
  }
  const auto s = mt::storage_cache_stats();
  REQUIRE(s.cached_bytes <= s.peak_bytes);  // so live + cached stays within twice the peak
  mt::set_storage_cache_enabled(false);  // empties the cache; blocks freed now go back to the system
  REQUIRE(mt::storage_cache_stats().cached_bytes == 0);
  { mt::Tensor t = mt::zeros({1 << 18}); }
  REQUIRE(mt::storage_cache_stats().cached_bytes == 0);
  mt::set_storage_cache_enabled(was);
}

// core/kernels/huge_pages.cpp: a block of 4 MB or more starts on a 2 MB boundary (so the kernel can back it with
// 2 MB pages), holds its values, and goes back through the cache or the system with the cache on or off.
TEST_CASE("storage: large blocks are 2 MB-aligned and behave like any other, cache on or off") {
  const bool was = mt::storage_cache_enabled();
  for (bool cache : {true, false}) {
    mt::set_storage_cache_enabled(cache);
    for (int64_t n : {int64_t(1) << 20, (int64_t(3) << 20) + 17, int64_t(1) << 18}) {  // 4 MB, 12 MB + 68 B, 1 MB
      mt::Tensor t = mt::full({n}, 2.5f);
      const auto at = reinterpret_cast<uintptr_t>(mt::detail::raw_data(t));
      INFO("cache " << cache << ", " << n << " floats");
      if (n * 4 >= int64_t(mt::kernels::kHugePageMinBytes)) REQUIRE(at % (uintptr_t(2) << 20) == 0);
      REQUIRE(at % 64 == 0);
      const float* p = t.data_ptr<float>();
      REQUIRE(p[0] == 2.5f);
      REQUIRE(p[n - 1] == 2.5f);
      REQUIRE(mt::sum(t).item<float>() == Approx(2.5 * double(n)).epsilon(1e-6));
    }
  }
  mt::set_storage_cache_enabled(was);
}
