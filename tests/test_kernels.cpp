// core/kernels/: every fast loop against the plain reference loop beside it, on random shapes with the
// broadcast corner cases (size-1 dims, 0-size dims, 0-d tensors, missing leading dims). Elementwise
// kernels and copies must match bit for bit; sums within 1e-5 relative of a double-accumulated reference.
#include <catch2/catch.hpp>
#include <microtorch/core/kernels/elementwise.h>
#include <microtorch/core/kernels/gather.h>
#include <microtorch/core/kernels/parallel.h>
#include <microtorch/core/kernels/reduce.h>
#include <microtorch/microtorch.h>

#include <cmath>
#include <random>
#include <microtorch/core/kernels/huge_pages.h>
#include <microtorch/core/ops/tensor_access.h>

namespace mt = microtorch;
namespace K = microtorch::kernels;
using K::Dims;

namespace {

int64_t numel(const Dims& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

std::vector<float> random_values(std::mt19937& rng, int64_t n, float lo = -2.0f, float hi = 2.0f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

// An output shape of rank 0..5 (dims among 0, 1, 2, 3, 7, 16, 33, small ones likelier) and two input
// shapes that broadcast to it: each dim kept or set to 1, some leading dims dropped.
struct Case {
  Dims out, a, b;
};
Case random_case(std::mt19937& rng, int64_t max_numel = 20000) {
  static const int64_t sizes[] = {0, 1, 1, 2, 3, 3, 7, 16, 33};
  Case c;
  for (;;) {
    c.out.assign(rng() % 6, 0);
    for (auto& d : c.out) d = sizes[rng() % 9];
    if (rng() % 4 != 0)  // mostly no 0-size dim, so most cases have elements
      for (auto& d : c.out) d = std::max<int64_t>(d, 1);
    if (numel(c.out) <= max_numel) break;
  }
  auto input = [&] {
    Dims s = c.out;
    for (auto& d : s)
      if (rng() % 3 == 0) d = 1;
    s.erase(s.begin(), s.begin() + static_cast<int64_t>(rng() % (s.size() + 1) / 2));
    return s;
  };
  c.a = input();
  c.b = input();
  // the broadcast of a and b must be out itself: where both hold 1 but out does not, give one of them out's
  const size_t r = c.out.size();
  for (size_t k = 0; k < r; ++k) {
    const size_t ia = c.a.size() - 1 - k, ib = c.b.size() - 1 - k;
    const bool a_has = k < c.a.size() && c.a[ia] == c.out[r - 1 - k];
    const bool b_has = k < c.b.size() && c.b[ib] == c.out[r - 1 - k];
    if (a_has || b_has) continue;
    if (k < c.a.size()) c.a[ia] = c.out[r - 1 - k];
    else if (k < c.b.size()) c.b[ib] = c.out[r - 1 - k];
    else c.b.insert(c.b.begin(), c.out.begin(), c.out.begin() + static_cast<int64_t>(r - c.b.size()));
  }
  return c;
}

std::string str(const Dims& s) { return mt::shape_str(s); }

// |got - want| <= 1e-6 * (the sum of the terms' magnitudes), the bound a float sum in short chains keeps
void require_close(const std::vector<float>& got, const std::vector<float>& want, const std::vector<float>& abs_sum) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("flat index " << i << ": got " << got[i] << ", want " << want[i]);
    REQUIRE(std::fabs(got[i] - want[i]) <= 1e-6 * abs_sum[i] + 1e-7);
  }
}

// Restores the thread count a test changed.
struct ThreadsGuard {
  int saved = mt::get_num_threads();
  ~ThreadsGuard() { mt::set_num_threads(saved); }
};

}  // namespace

TEST_CASE("kernels: binary ops match the index walk bit for bit on random broadcasts") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 400; ++trial) {
    const Case c = random_case(rng);
    INFO("a " << str(c.a) << " b " << str(c.b) << " out " << str(c.out));
    const auto a = random_values(rng, numel(c.a)), b = random_values(rng, numel(c.b), 0.5f, 2.0f);
    for (K::BinaryOp op : {K::BinaryOp::Add, K::BinaryOp::Sub, K::BinaryOp::Mul, K::BinaryOp::Div}) {
      std::vector<float> got(static_cast<size_t>(numel(c.out)), -7.0f), want(got.size(), -9.0f);
      K::binary(op, a.data(), c.a, b.data(), c.b, got.data(), c.out);
      K::binary_reference(op, a.data(), c.a, b.data(), c.b, want.data(), c.out);
      REQUIRE(got == want);
    }
  }
}

TEST_CASE("kernels: broadcast shapes collapse to few loops") {
  // (1024, 1024) x (1, 1024): one outer dim of same-shape runs of 1024
  K::BroadcastLoops L = K::plan_broadcast({1024, 1024}, {1, 1024}, {1024, 1024});
  REQUIRE(L.sizes == Dims{1024, 1024});
  REQUIRE(L.stride_a == Dims{1024, 1});
  REQUIRE(L.stride_b == Dims{0, 1});
  // (16,4,32,1,16) x (16,4,1,32,16): the two leading dims merge, inner runs of 16
  L = K::plan_broadcast({16, 4, 32, 1, 16}, {16, 4, 1, 32, 16}, {16, 4, 32, 32, 16});
  REQUIRE(L.sizes == Dims{64, 32, 32, 16});
  // (B, T, C) + (T, C): T and C merge into one run
  L = K::plan_broadcast({8, 64, 128}, {64, 128}, {8, 64, 128});
  REQUIRE(L.sizes == Dims{8, 64 * 128});
  REQUIRE(L.stride_b == Dims{0, 1});
}

TEST_CASE("kernels: broadcast_copy and negate match the reference") {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    const Case c = random_case(rng);
    INFO("src " << str(c.a) << " out " << str(c.out));
    const auto src = random_values(rng, numel(c.a));
    std::vector<float> got(static_cast<size_t>(numel(c.out)), -7.0f), want(got.size(), -9.0f);
    K::broadcast_copy(src.data(), c.a, got.data(), c.out);
    K::broadcast_copy_reference(src.data(), c.a, want.data(), c.out);
    REQUIRE(got == want);
  }
  const auto x = random_values(rng, 100000);
  std::vector<float> y(x.size());
  K::negate(x.data(), y.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) REQUIRE(y[i] == -x[i]);
}

// A gradient's copy and accumulation, split across threads: every element against the plain loop, for sizes
// below, at and across the grain, at 1 and 2 threads.
TEST_CASE("kernels: copy_values and add_values match the plain loops") {
  ThreadsGuard guard;
  std::mt19937 rng(17);
  for (int threads : {1, 2}) {
    mt::set_num_threads(threads);
    for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{31}, K::kGrain - 1, K::kGrain + 5, int64_t{300007}}) {
      INFO("threads " << threads << ", n " << n);
      const auto a = random_values(rng, n), base = random_values(rng, n);
      std::vector<float> copied(static_cast<size_t>(n) + 1, -5.0f), added = base;
      added.push_back(-5.0f);  // one past the end: must stay untouched
      K::copy_values(a.data(), copied.data(), n);
      K::add_values(added.data(), a.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        REQUIRE(copied[i] == a[i]);
        REQUIRE(added[i] == base[i] + a[i]);
      }
      REQUIRE(copied[n] == -5.0f);
      REQUIRE(added[n] == -5.0f);
    }
  }
}

TEST_CASE("kernels: sum_all, sum_dim and sum_to match double-accumulated references") {
  std::mt19937 rng(13);
  for (int64_t n : {0, 1, 5, 63, 64, 65, 4095, 4096, 4097, 100003, 1 << 20}) {
    INFO("n " << n);
    const auto x = random_values(rng, n);
    const double want = K::sum_all_reference(x.data(), n);
    double abs_sum = 0;
    for (float v : x) abs_sum += std::fabs(v);
    REQUIRE(std::fabs(K::sum_all(x.data(), n) - want) <= 1e-6 * abs_sum + 1e-6);
  }
  for (int trial = 0; trial < 200; ++trial) {
    const int64_t outer = rng() % 5, R = static_cast<int64_t>(rng() % 600), inner = 1 + rng() % 1500 * (rng() % 2);
    INFO("outer " << outer << " R " << R << " inner " << inner);
    const auto x = random_values(rng, outer * R * inner);
    std::vector<float> got(static_cast<size_t>(outer * inner), -7.0f), want(got.size()), scale(got.size());
    K::sum_dim(x.data(), outer, R, inner, got.data());
    K::sum_dim_reference(x.data(), outer, R, inner, want.data());
    std::vector<float> abs_x(x.size());
    for (size_t i = 0; i < x.size(); ++i) abs_x[i] = std::fabs(x[i]);
    K::sum_dim_reference(abs_x.data(), outer, R, inner, scale.data());
    require_close(got, want, scale);
  }
  for (int trial = 0; trial < 400; ++trial) {
    const Case c = random_case(rng);
    INFO("g " << str(c.out) << " to " << str(c.a));
    const auto g = random_values(rng, numel(c.out));
    std::vector<float> got(static_cast<size_t>(numel(c.a)), -7.0f), want(got.size()), scale(got.size());
    K::sum_to(g.data(), c.out, got.data(), c.a);
    K::sum_to_reference(g.data(), c.out, want.data(), c.a);
    std::vector<float> abs_g(g.size());
    for (size_t i = 0; i < g.size(); ++i) abs_g[i] = std::fabs(g[i]);
    K::sum_to_reference(abs_g.data(), c.out, scale.data(), c.a);
    require_close(got, want, scale);
  }
}

// The oracle is the plain path: the product written out by binary_same, then sum_to. Summing as the product
// is made must give exactly its floats, and both must be near the double-accumulated reference.
TEST_CASE("kernels: sum_to_product is sum_to of the written product") {
  std::mt19937 rng(19);
  std::vector<std::pair<Dims, Dims>> cases = {
      {{1024, 1024}, {1, 1024}}, {{700, 5000}, {700, 1}}, {{9000}, {}}, {{3, 2000, 5}, {1, 2000, 1}},
      {{6, 300, 7, 9}, {300, 1, 9}}, {{0, 4}, {1, 4}}, {{5, 3}, {5, 3}}, {{2, 1, 3}, {1, 3}}};
  for (int trial = 0; trial < 300; ++trial) {
    const Case c = random_case(rng);
    cases.push_back({c.out, c.a});
  }
  for (const auto& [g_shape, shape] : cases) {
    INFO("a * b of " << str(g_shape) << " summed to " << str(shape));
    const auto a = random_values(rng, numel(g_shape)), b = random_values(rng, numel(g_shape));
    std::vector<float> product(a.size()), got(static_cast<size_t>(numel(shape)), -7.0f), want(got.size(), -9.0f);
    K::binary_same(K::BinaryOp::Mul, a.data(), b.data(), product.data(), numel(g_shape));
    K::sum_to_product(a.data(), b.data(), g_shape, got.data(), shape);
    K::sum_to(product.data(), g_shape, want.data(), shape);
    REQUIRE(got == want);
    std::vector<float> reference(got.size()), scale(got.size()), abs_product(product.size());
    for (size_t i = 0; i < product.size(); ++i) abs_product[i] = std::fabs(product[i]);
    K::sum_to_reference(product.data(), g_shape, reference.data(), shape);
    K::sum_to_reference(abs_product.data(), g_shape, scale.data(), shape);
    require_close(got, reference, scale);
  }
}

TEST_CASE("kernels: results are identical for 1 and 2 threads") {
  ThreadsGuard guard;
  std::mt19937 rng(17);
  const Dims xs{512, 3, 256}, rows{1, 3, 256}, col{512, 1, 1};
  const auto x = random_values(rng, numel(xs)), r = random_values(rng, numel(rows)), c = random_values(rng, numel(col));
  auto run = [&](int threads) {
    mt::set_num_threads(threads);
    REQUIRE(mt::get_num_threads() == threads);
    std::vector<float> out;
    std::vector<float> y(x.size());
    K::binary(K::BinaryOp::Mul, x.data(), xs, r.data(), rows, y.data(), xs);
    out.insert(out.end(), y.begin(), y.end());
    K::binary(K::BinaryOp::Div, x.data(), xs, c.data(), col, y.data(), xs);
    out.insert(out.end(), y.begin(), y.end());
    out.push_back(K::sum_all(x.data(), static_cast<int64_t>(x.size())));
    std::vector<float> s(3 * 256);
    K::sum_to(x.data(), xs, s.data(), rows);
    out.insert(out.end(), s.begin(), s.end());
    std::vector<float> rs(512);
    K::sum_dim(x.data(), 512, 768, 1, rs.data());
    out.insert(out.end(), rs.begin(), rs.end());
    // the gather, large enough for the streaming stores and several threads' chunks
    const int64_t V = 100, C = 768, n = 3000;
    std::vector<int64_t> ids(n);
    for (auto& id : ids) id = static_cast<int64_t>(rng() % V);
    const auto w = random_values(rng, V * C);
    // a tensor's storage is 64-byte aligned, as the streaming stores need (a std::vector's may not be)
    const mt::Tensor g = mt::empty({n, C});
    std::vector<float> g_ref(static_cast<size_t>(n * C));
    K::gather_rows(g.data_ptr<float>(), w.data(), ids.data(), n, C);
    K::gather_rows_reference(g_ref.data(), w.data(), ids.data(), n, C);
    const std::vector<float> got = g.to_vector<float>();
    size_t differ = 0;  // counted, not compared whole: Catch would print all 2.3M floats of a failure
    for (size_t k = 0; k < got.size(); ++k) differ += got[k] != g_ref[k];
    REQUIRE(differ == 0);
    return out;
  };
  const auto one = run(1);
  rng.seed(17);
  (void)random_values(rng, numel(xs) + numel(rows) + numel(col));  // the same ids and table as the first run
  const auto two = run(2);
  REQUIRE(one == two);
}

TEST_CASE("kernels: the streaming gather matches the reference for every count of leftover rows") {
  // The streaming kernel copies four rows at a time; an output of 8 MB or more takes it. Row counts of
  // each remainder mod 4, at 1 and 2 threads (whose chunks have leftovers of their own), and rows of 16
  // and 768 floats.
  ThreadsGuard guard;
  std::mt19937 rng(5);
  for (const int64_t C : {int64_t{768}, int64_t{16}}) {
    const int64_t V = 1000, base = (int64_t{8} << 20) / (4 * C) + 1;
    const auto w = random_values(rng, V * C);
    for (int threads : {1, 2})
      for (int64_t n = base; n < base + 4; ++n) {
        mt::set_num_threads(threads);
        std::vector<int64_t> ids(static_cast<size_t>(n));
        for (auto& id : ids) id = static_cast<int64_t>(rng() % V);
        const mt::Tensor g = mt::empty({n, C});  // 64-byte aligned, as the streaming stores need
        std::vector<float> g_ref(static_cast<size_t>(n * C));
        K::gather_rows(g.data_ptr<float>(), w.data(), ids.data(), n, C);
        K::gather_rows_reference(g_ref.data(), w.data(), ids.data(), n, C);
        const float* got = g.data_ptr<float>();
        size_t differ = 0;  // counted: Catch would print every float of a failure
        for (size_t k = 0; k < g_ref.size(); ++k) differ += got[k] != g_ref[k];
        INFO("C " << C << ", n " << n << ", threads " << threads);
        REQUIRE(differ == 0);
      }
  }
}

TEST_CASE("kernels: ops on 0-d, size-1 and 0-size tensors through the public API") {
  const mt::Tensor s = mt::full({}, 3.0f);
  REQUIRE((s * 2.0f).item<float>() == 6.0f);
  REQUIRE((s * mt::ones({2, 1})).shape() == mt::Shape{2, 1});
  const mt::Tensor e = mt::zeros({2, 0, 3});
  REQUIRE((e + mt::ones({1, 1, 3})).shape() == mt::Shape{2, 0, 3});
  REQUIRE(e.sum().item<float>() == 0.0f);
  const mt::Tensor by_dim = e.sum(1);
  REQUIRE(by_dim.shape() == mt::Shape{2, 3});
  for (float v : by_dim.to_vector<float>()) REQUIRE(v == 0.0f);
  // the gradient of a broadcast row through a 0-size batch is zeros of the row's shape
  mt::Tensor row = mt::ones({1, 3}).requires_grad_(true);
  (e.view({0, 3}) * row).sum().backward();
  REQUIRE(row.grad().to_vector<float>() == std::vector<float>{0, 0, 0});
}

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

// core/huge_pages.cpp: a block of 4 MB or more starts on a 2 MB boundary (so the kernel can back it with
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
