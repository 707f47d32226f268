// PyTorch's everyday ops (cumsum, sort, clamp, min/max, norm, std, flatten, repeat, arange, linspace, randperm,
// the *_like factories, allclose, equal) against PyTorch 1.13's numbers, written here as plain numbers.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "../helpers.h"

namespace mt = microtorch;
using helpers::mismatch;
using I64 = std::vector<int64_t>;

namespace {
// [[0.5, -1.25, 2], [3, 0.25, -0.75]]
mt::Tensor x23() { return mt::tensor({0.5f, -1.25f, 2.0f, 3.0f, 0.25f, -0.75f}, {2, 3}); }
}  // namespace

TEST_CASE("cumsum matches PyTorch along either dim: integers and bool sum in int64") {
  CHECK(mismatch(x23().cumsum(1), {2, 3}, {0.5, -0.75, 1.25, 3.0, 3.25, 2.5}, 1e-7, 0, "cumsum(1)") == "");
  CHECK(mismatch(mt::cumsum(x23(), 0), {2, 3}, {0.5, -1.25, 2.0, 3.5, -1.0, 1.25}, 1e-7, 0, "cumsum(0)") == "");
  CHECK(mismatch(mt::cumsum(x23(), -2), {2, 3}, {0.5, -1.25, 2.0, 3.5, -1.0, 1.25}, 1e-7, 0, "cumsum(-2)") == "");
  const mt::Tensor ci = mt::tensor(std::vector<int32_t>{1, 2, 3, 4}, {2, 2}).cumsum(1);
  CHECK(ci.dtype() == mt::kInt64);
  CHECK(ci.to_vector<int64_t>() == I64{1, 3, 3, 7});
  const mt::Tensor cb = (mt::tensor({1.f, 0.f, 2.f}) > 0.5f).cumsum(0);
  CHECK(cb.dtype() == mt::kInt64);
  CHECK(cb.to_vector<int64_t>() == I64{1, 1, 2});
  CHECK(mt::tensor({1.5f}, {}).cumsum(0).item<float>() == 1.5f);
}

TEST_CASE("sort is stable on ties, ascending and descending, NaN last (first descending), as PyTorch") {
  const mt::Tensor x = mt::tensor({3.f, 1.f, 2.f, 1.f, 3.f, 0.f, 1.f});
  auto [v, i] = mt::sort(x);
  CHECK(mismatch(v, {7}, {0, 1, 1, 1, 2, 3, 3}, 0, 0, "sort values") == "");
  CHECK(i.to_vector<int64_t>() == I64{5, 1, 3, 6, 2, 0, 4});
  auto [vd, id] = x.sort(0, /*descending=*/true);
  CHECK(mismatch(vd, {7}, {3, 3, 2, 1, 1, 1, 0}, 0, 0, "sort descending") == "");
  CHECK(id.to_vector<int64_t>() == I64{0, 4, 2, 1, 3, 6, 5});
  CHECK(x.argsort().to_vector<int64_t>() == I64{5, 1, 3, 6, 2, 0, 4});
  CHECK(mt::argsort(x, 0, true).to_vector<int64_t>() == I64{0, 4, 2, 1, 3, 6, 5});
  const mt::Tensor n = mt::tensor({1.f, NAN, 3.f});
  CHECK(n.argsort().to_vector<int64_t>() == I64{0, 2, 1});
  CHECK(n.argsort(0, true).to_vector<int64_t>() == I64{1, 2, 0});
  // along dim 0 of a (3, 2): each column sorted by itself
  auto [v0, i0] = mt::tensor({2.f, 9.f, 1.f, 7.f, 2.f, 8.f}, {3, 2}).sort(0);
  CHECK(mismatch(v0, {3, 2}, {1, 7, 2, 8, 2, 9}, 0, 0, "sort(0)") == "");
  CHECK(i0.to_vector<int64_t>() == I64{1, 1, 0, 2, 2, 0});
  auto [vi, ii] = mt::tensor({5, -2, 5, 0}).sort(0, true);
  CHECK(vi.to_vector<int64_t>() == I64{5, 5, 0, -2});
  CHECK(ii.to_vector<int64_t>() == I64{0, 2, 3, 1});
}

TEST_CASE("clamp, clamp_min, clamp_max match PyTorch, bounds crossed give max, integers promote as PyTorch") {
  CHECK(mismatch(x23().clamp(-1, 1), {2, 3}, {0.5, -1, 1, 1, 0.25, -0.75}, 0, 0, "clamp") == "");
  CHECK(mismatch(x23().clamp_min(0.25), {2, 3}, {0.5, 0.25, 2, 3, 0.25, 0.25}, 0, 0, "clamp_min") == "");
  CHECK(mismatch(x23().clamp_max(0), {2, 3}, {0, -1.25, 0, 0, 0, -0.75}, 0, 0, "clamp_max") == "");
  CHECK(mismatch(x23().clamp(1, 0), {2, 3}, {0, 0, 0, 0, 0, 0}, 0, 0, "clamp(1, 0)") == "");
  const mt::Tensor ids = mt::tensor({1, 5, -3});
  CHECK(ids.clamp(0, 2).dtype() == mt::kInt64);
  CHECK(ids.clamp(0, 2).to_vector<int64_t>() == I64{1, 2, 0});
  CHECK(ids.clamp(0.5, 2).dtype() == mt::kFloat32);
  CHECK(std::isnan(mt::tensor({NAN}).clamp(0, 1).item<float>()));  // NaN stays NaN, as PyTorch
  CHECK(x23().to(mt::kFloat64).clamp(0, 1).dtype() == mt::kFloat64);
}

TEST_CASE("min and max over everything and along a dim match PyTorch: argmin takes the first") {
  const mt::Tensor x = mt::tensor({3.f, 1.f, 2.f, 1.f, 1.f, 0.f}, {2, 3});
  CHECK(x.min().item<float>() == 0.f);
  CHECK(x.max().item<float>() == 3.f);
  CHECK(mt::max(x).dim() == 0);
  auto [v, i] = x.min(1);
  CHECK(mismatch(v, {2}, {1, 0}, 0, 0, "min(1)") == "");
  CHECK(i.to_vector<int64_t>() == I64{1, 2});
  auto [v0, i0] = mt::min(x, 0, /*keepdim=*/true);
  CHECK(mismatch(v0, {1, 3}, {1, 1, 0}, 0, 0, "min(0)") == "");
  CHECK(i0.to_vector<int64_t>() == I64{1, 0, 1});
  CHECK(x.argmin(0).to_vector<int64_t>() == I64{1, 0, 1});
  CHECK(x.argmin(1, true).shape() == mt::Shape{2, 1});
  CHECK(mt::tensor({4, -7, 9}).min().item<int64_t>() == -7);
  const mt::Tensor n = mt::tensor({1.f, NAN, -3.f});
  CHECK(std::isnan(n.max().item<float>()));
  CHECK(std::isnan(n.min().item<float>()));
  CHECK(n.argmin(0).item<int64_t>() == 1);  // NaN counts as the min, as PyTorch
  CHECK(mt::tensor({2.f, 5.f}).to(mt::kFloat16).max().dtype() == mt::kFloat16);
}

TEST_CASE("norm and std match PyTorch: std of one element is NaN, as PyTorch") {
  const mt::Tensor x = x23();
  CHECK(x.norm().item<float>() == Approx(3.929058313369751).margin(1e-6));
  CHECK(x.norm(1).item<float>() == Approx(7.75).margin(1e-6));
  CHECK(x.norm(INFINITY).item<float>() == Approx(3.0).margin(1e-6));
  CHECK(x.norm(3).item<float>() == Approx(3.3476297855377197).margin(1e-5));
  CHECK(x.norm(0).item<float>() == Approx(6.0).margin(0));
  CHECK(mismatch(x.norm(2, 1), {2}, {2.4109127521514893, 3.1024184226989746}, 1e-6, 0, "norm(2, 1)") == "");
  CHECK(x.norm(2, 1, true).shape() == mt::Shape{2, 1});
  CHECK(x.std().item<float>() == Approx(1.6182552576065063).margin(1e-6));
  CHECK(mismatch(x.std(1), {2}, {1.6266018152236938, 1.9418634176254272}, 1e-6, 0, "std(1)") == "");
  CHECK(mismatch(mt::std(x, 0, /*unbiased=*/false), {3}, {1.25, 0.75, 1.375}, 1e-6, 0, "std(0, false)") == "");
  CHECK(mismatch(x.var(), {}, {1.6182552576065063 * 1.6182552576065063}, 1e-5, 0, "var()") == "");
  CHECK(std::isnan(mt::tensor({1.5f}).std().item<float>()));
  CHECK(std::isnan(mt::tensor({1.5f, 2.f}, {1, 2}).std(0).to_vector<float>()[1]));
}

TEST_CASE("flatten and repeat match PyTorch's shapes and values: repeat always copies") {
  const mt::Tensor x = mt::tensor({1.f, 2.f, 3.f, 4.f}, {2, 2});
  const mt::Tensor r = x.repeat({2, 1, 2});
  CHECK(mismatch(r, {2, 2, 4}, {1, 2, 1, 2, 3, 4, 3, 4, 1, 2, 1, 2, 3, 4, 3, 4}, 0, 0, "repeat") == "");
  CHECK(mismatch(x.repeat({1, 3}), {2, 6}, {1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4}, 0, 0, "repeat(1, 3)") == "");
  CHECK(mismatch(x.t().repeat({2, 1}), {4, 2}, {1, 3, 2, 4, 1, 3, 2, 4}, 0, 0, "repeat of a transpose") == "");
  CHECK(x.repeat({0, 2}).shape() == mt::Shape{0, 4});
  mt::Tensor same = x.repeat({1, 1});
  same.fill_(0);
  CHECK(x.to_vector<float>() == std::vector<float>{1, 2, 3, 4});  // a copy, not a view
  const mt::Tensor y = mt::zeros({2, 3, 4});
  CHECK(y.flatten().shape() == mt::Shape{24});
  CHECK(y.flatten(1).shape() == mt::Shape{2, 12});
  CHECK(mt::flatten(y, 0, 1).shape() == mt::Shape{6, 4});
  CHECK(y.flatten(-2, -1).shape() == mt::Shape{2, 12});
  CHECK(mt::tensor({5.f}, {}).flatten().shape() == mt::Shape{1});
  CHECK(y.flatten().is_view());  // a view when reshape can make one, as PyTorch
}

TEST_CASE("arange's length is ceil((end - start) / step) and its values PyTorch's: int64 for integer bounds") {
  const mt::Tensor a = mt::arange(0, 1, 0.1);
  CHECK(a.dtype() == mt::kFloat32);
  CHECK(mismatch(a, {10}, {0.0, 0.10000000149011612, 0.20000000298023224, 0.30000001192092896, 0.4000000059604645, 0.5,
                           0.6000000238418579, 0.699999988079071, 0.800000011920929, 0.8999999761581421}, 0, 0, "arange 0.1") == "");
  CHECK(mismatch(mt::arange(-1.0, 1.0, 0.3), {7}, {-1.0, -0.699999988079071, -0.4000000059604645, -0.10000000149011612,
                                                   0.20000000298023224, 0.5, 0.800000011920929}, 0, 0, "arange -1 .. 1") == "");
  CHECK(mismatch(mt::arange(0, 1, 1.0 / 3), {3}, {0.0, 0.3333333432674408, 0.6666666865348816}, 0, 0, "arange 1/3") == "");
  CHECK(mismatch(mt::arange(1, 2.5, 0.5), {3}, {1.0, 1.5, 2.0}, 0, 0, "arange 0.5") == "");
  const mt::Tensor d = mt::arange(10, 0, -3);
  CHECK(d.dtype() == mt::kInt64);
  CHECK(d.to_vector<int64_t>() == I64{10, 7, 4, 1});
  CHECK(mt::arange(0, 10, 3).to_vector<int64_t>() == I64{0, 3, 6, 9});
  CHECK(mt::arange(2, 5).to_vector<int64_t>() == I64{2, 3, 4});
  CHECK(mt::arange(3, 3, 2).numel() == 0);
  CHECK(mt::arange(0, 3, 1, mt::kFloat64).dtype() == mt::kFloat64);
}

TEST_CASE("linspace matches PyTorch bit for bit: randperm is a seeded permutation") {
  CHECK(mismatch(mt::linspace(-1, 3, 7), {7}, {-1.0, -0.3333333134651184, 0.3333333730697632, 0.9999999403953552,
                                               1.6666666269302368, 2.3333332538604736, 3.0}, 0, 0, "linspace") == "");
  CHECK(mismatch(mt::linspace(0.1, 0.9, 9), {9}, {0.10000000149011612, 0.19999998807907104, 0.29999998211860657,
                                                  0.3999999761581421, 0.5, 0.6000000238418579, 0.699999988079071,
                                                  0.7999999523162842, 0.8999999761581421}, 0, 0, "linspace 0.1") == "");
  CHECK(mt::linspace(0, 10, 5, mt::kInt64).to_vector<int64_t>() == I64{0, 2, 5, 7, 10});
  CHECK(mismatch(mt::linspace(0, 1, 1), {1}, {0.0}, 0, 0, "linspace 1") == "");
  CHECK(mt::linspace(2, 3, 0).numel() == 0);
  mt::manual_seed(7);
  const I64 p = mt::randperm(50).to_vector<int64_t>();
  mt::manual_seed(7);
  CHECK(mt::randperm(50).to_vector<int64_t>() == p);
  I64 sorted = p;
  std::sort(sorted.begin(), sorted.end());
  I64 iota(50);
  for (int64_t i = 0; i < 50; ++i) iota[i] = i;
  CHECK(sorted == iota);
  CHECK(p != iota);
  CHECK(mt::randperm(0).numel() == 0);
  CHECK(mt::randperm(4, mt::kFloat32).dtype() == mt::kFloat32);
}

TEST_CASE("full_like, rand_like, randn_like take the shape and dtype: allclose and equal as PyTorch") {
  const mt::Tensor x = mt::zeros({2, 3}, mt::kFloat64);
  const mt::Tensor f = mt::full_like(x, 2.5);
  CHECK(f.dtype() == mt::kFloat64);
  CHECK(f.to_vector<double>() == std::vector<double>(6, 2.5));
  CHECK(mt::randn_like(x).dtype() == mt::kFloat64);
  CHECK(mt::rand_like(x).shape() == mt::Shape{2, 3});
  const std::vector<double> u = mt::rand_like(x).to_vector<double>();
  for (double v : u) CHECK((v >= 0 && v < 1));
  CHECK(mt::full_like(mt::tensor({1, 2}), 7).to_vector<int64_t>() == I64{7, 7});
  const mt::Tensor inf = mt::tensor({1.f, INFINITY});
  CHECK(mt::allclose(inf, inf));
  CHECK_FALSE(mt::allclose(mt::tensor({1.f, 2.f}), mt::tensor({1.f + 1e-5f, 2.f})));
  CHECK(mt::allclose(mt::tensor({1.f, 2.f}), mt::tensor({1.f + 1e-5f, 2.f}), 1e-4));
  CHECK(mt::allclose(mt::tensor({1.f, 1.f}), mt::tensor({1.f}, {1})));  // broadcast
  const mt::Tensor n = mt::tensor({NAN});
  CHECK_FALSE(mt::allclose(n, n));
  CHECK(mt::allclose(n, n, 1e-5, 1e-8, /*equal_nan=*/true));
  CHECK(mt::equal(mt::tensor({1.f, 2.f}), mt::tensor({1, 2})));  // compared in the promoted dtype, as 1.13
  CHECK_FALSE(mt::equal(mt::tensor({1.f, 2.f}), mt::tensor({1.f, 2.f}, {2, 1})));
  CHECK_FALSE(n.equal(n));
}
