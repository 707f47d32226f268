// core/kernels/ (elementwise, reduce, gather, row_sums): every fast loop against the plain loop beside it, on
// random shapes with the broadcast corner cases (size-1 dims, 0-size dims, 0-d tensors, missing leading dims).
// Elementwise kernels and copies must match bit for bit; sums within 1e-5 relative of a plain loop summing in
// double; the same floats for 1 and 2 threads.
#include <catch2/catch.hpp>
#include <microtorch/core/kernels/elementwise.h>
#include <microtorch/core/kernels/gather.h>
#include <microtorch/core/kernels/parallel.h>
#include <microtorch/core/kernels/reduce.h>
#include <microtorch/core/kernels/row_sums.h>
#include <microtorch/microtorch.h>

#include <cmath>
#include <random>

#include "helpers.h"

namespace mt = microtorch;
namespace K = microtorch::kernels;
using K::Dims;
using namespace helpers;

namespace {

int64_t numel(const Dims& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
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

}  // namespace

TEST_CASE("kernels: binary ops match the index walk bit for bit on random broadcasts") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 400; ++trial) {
    const Case c = random_case(rng);
    INFO("a " << str(c.a) << " b " << str(c.b) << " out " << str(c.out));
    const auto a = random_floats(rng, numel(c.a)), b = random_floats(rng, numel(c.b), 0.5f, 2.0f);
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

TEST_CASE("kernels: broadcast_copy and negate match the plain loops") {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    const Case c = random_case(rng);
    INFO("src " << str(c.a) << " out " << str(c.out));
    const auto src = random_floats(rng, numel(c.a));
    std::vector<float> got(static_cast<size_t>(numel(c.out)), -7.0f), want(got.size(), -9.0f);
    K::broadcast_copy(src.data(), c.a, got.data(), c.out);
    K::broadcast_copy_reference(src.data(), c.a, want.data(), c.out);
    REQUIRE(got == want);
  }
  const auto x = random_floats(rng, 100000);
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
      const auto a = random_floats(rng, n), base = random_floats(rng, n);
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

TEST_CASE("kernels: sum_all, sum_dim and sum_to match the plain loops summing in double") {
  std::mt19937 rng(13);
  for (int64_t n : {0, 1, 5, 63, 64, 65, 4095, 4096, 4097, 100003, 1 << 20}) {
    INFO("n " << n);
    const auto x = random_floats(rng, n);
    const double want = K::sum_all_reference(x.data(), n);
    double abs_sum = 0;
    for (float v : x) abs_sum += std::fabs(v);
    REQUIRE(std::fabs(K::sum_all(x.data(), n) - want) <= 1e-6 * abs_sum + 1e-6);
  }
  for (int trial = 0; trial < 200; ++trial) {
    const int64_t outer = rng() % 5, R = static_cast<int64_t>(rng() % 600), inner = 1 + rng() % 1500 * (rng() % 2);
    INFO("outer " << outer << " R " << R << " inner " << inner);
    const auto x = random_floats(rng, outer * R * inner);
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
    const auto g = random_floats(rng, numel(c.out));
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
// is made must give exactly its floats, and both must be near the plain loop summing in double.
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
    const auto a = random_floats(rng, numel(g_shape)), b = random_floats(rng, numel(g_shape));
    std::vector<float> product(a.size()), got(static_cast<size_t>(numel(shape)), -7.0f), want(got.size(), -9.0f);
    K::binary_same(K::BinaryOp::Mul, a.data(), b.data(), product.data(), numel(g_shape));
    K::sum_to_product(a.data(), b.data(), g_shape, got.data(), shape);
    K::sum_to(product.data(), g_shape, want.data(), shape);
    REQUIRE(got == want);
    std::vector<float> plain(got.size()), scale(got.size()), abs_product(product.size());
    for (size_t i = 0; i < product.size(); ++i) abs_product[i] = std::fabs(product[i]);
    K::sum_to_reference(product.data(), g_shape, plain.data(), shape);
    K::sum_to_reference(abs_product.data(), g_shape, scale.data(), shape);
    require_close(got, plain, scale);
  }
}

TEST_CASE("kernels: results are identical for 1 and 2 threads") {
  ThreadsGuard guard;
  std::mt19937 rng(17);
  const Dims xs{512, 3, 256}, rows{1, 3, 256}, col{512, 1, 1};
  const auto x = random_floats(rng, numel(xs)), r = random_floats(rng, numel(rows)), c = random_floats(rng, numel(col));
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
    const auto w = random_floats(rng, V * C);
    // a tensor's storage is 64-byte aligned, as the streaming stores need (a std::vector's may not be)
    const mt::Tensor g = mt::empty({n, C});
    std::vector<float> g_plain(static_cast<size_t>(n * C));
    K::gather_rows(g.data_ptr<float>(), w.data(), ids.data(), n, C);
    K::gather_rows_reference(g_plain.data(), w.data(), ids.data(), n, C);
    const std::vector<float> got = g.to_vector<float>();
    size_t differ = 0;  // counted, not compared whole: Catch would print all 2.3M floats of a failure
    for (size_t k = 0; k < got.size(); ++k) differ += got[k] != g_plain[k];
    REQUIRE(differ == 0);
    return out;
  };
  const auto one = run(1);
  rng.seed(17);
  (void)random_floats(rng, numel(xs) + numel(rows) + numel(col));  // the same ids and table as the first run
  const auto two = run(2);
  REQUIRE(one == two);
}

TEST_CASE("kernels: the streaming gather matches the plain gather for every count of leftover rows") {
  // The streaming kernel copies four rows at a time; an output of 8 MB or more takes it. Row counts of
  // each remainder mod 4, at 1 and 2 threads (whose chunks have leftovers of their own), and rows of 16
  // and 768 floats.
  ThreadsGuard guard;
  std::mt19937 rng(5);
  for (const int64_t C : {int64_t{768}, int64_t{16}}) {
    const int64_t V = 1000, base = (int64_t{8} << 20) / (4 * C) + 1;
    const auto w = random_floats(rng, V * C);
    for (int threads : {1, 2})
      for (int64_t n = base; n < base + 4; ++n) {
        mt::set_num_threads(threads);
        std::vector<int64_t> ids(static_cast<size_t>(n));
        for (auto& id : ids) id = static_cast<int64_t>(rng() % V);
        const mt::Tensor g = mt::empty({n, C});  // 64-byte aligned, as the streaming stores need
        std::vector<float> g_plain(static_cast<size_t>(n * C));
        K::gather_rows(g.data_ptr<float>(), w.data(), ids.data(), n, C);
        K::gather_rows_reference(g_plain.data(), w.data(), ids.data(), n, C);
        const float* got = g.data_ptr<float>();
        size_t differ = 0;  // counted: Catch would print every float of a failure
        for (size_t k = 0; k < g_plain.size(); ++k) differ += got[k] != g_plain[k];
        INFO("C " << C << ", n " << n << ", threads " << threads);
        REQUIRE(differ == 0);
      }
  }
}

TEST_CASE("kernels: row sums in double match the plain chains") {
  std::mt19937 rng(16);
  for (int64_t n : {0, 1, 7, 8, 9, 64, 65, 1000}) {
    const std::vector<float> a = random_floats(rng, n), b = random_floats(rng, n);
    const double s1 = mt::kernels::sum_in_double(a.data(), n), s2 = mt::kernels::sum_in_double_plain(a.data(), n);
    const double d1 = mt::kernels::dot_in_double(a.data(), b.data(), n), d2 = mt::kernels::dot_in_double_plain(a.data(), b.data(), n);
    REQUIRE(std::fabs(s1 - s2) <= 1e-13 * (1.0 + std::fabs(s2)));
    REQUIRE(std::fabs(d1 - d2) <= 1e-13 * (1.0 + std::fabs(d2)));
  }
}
