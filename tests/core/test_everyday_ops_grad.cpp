// Gradients of the everyday ops: central differences in float64 (gradcheck), and PyTorch 1.13's numbers at the
// points finite differences cannot judge (clamp's boundaries, ties of min and max, norm at zero, NaN).
#include <cmath>
#include <vector>

#include "../helpers.h"

namespace mt = microtorch;
using helpers::Inputs;
using helpers::mismatch;
using helpers::require_gradcheck;

namespace {
// A float64 leaf of distinct values (no ties, none near 0 or +-1): k * 0.37 - 1.79, k = 7 i mod n.
mt::Tensor distinct(const mt::Shape& shape) {
  const int64_t n = mt::shape_numel(shape);
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<double>((i * 7) % n) * 0.37 - 1.79;
  return mt::tensor(v, shape).requires_grad_(true);
}
mt::Tensor w23() { return mt::tensor(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3}); }
mt::Tensor x23() { return mt::tensor(std::vector<double>{0.5, -1.25, 2.0, 3.0, 0.25, -0.75}, {2, 3}).requires_grad_(true); }
}  // namespace

TEST_CASE("gradcheck in float64: cumsum, sort, min, max, norm, std, flatten, repeat, clamp") {
  require_gradcheck("cumsum", [](const Inputs& x) { return x[0].cumsum(1); }, {distinct({3, 4})});
  require_gradcheck("cumsum(0)", [](const Inputs& x) { return mt::cumsum(x[0], 0); }, {distinct({3, 4})});
  require_gradcheck("sort", [](const Inputs& x) { return std::get<0>(x[0].sort(1, true)); }, {distinct({3, 4})});
  require_gradcheck("min(dim)", [](const Inputs& x) { return std::get<0>(x[0].min(0)); }, {distinct({3, 4})});
  require_gradcheck("min()", [](const Inputs& x) { return x[0].min(); }, {distinct({3, 4})});
  require_gradcheck("max()", [](const Inputs& x) { return x[0].max(); }, {distinct({3, 4})});
  require_gradcheck("norm", [](const Inputs& x) { return x[0].norm(); }, {distinct({3, 4})});
  require_gradcheck("norm(3, 1)", [](const Inputs& x) { return x[0].norm(3, 1); }, {distinct({3, 4})});
  require_gradcheck("norm(1)", [](const Inputs& x) { return x[0].norm(1); }, {distinct({3, 4})});
  require_gradcheck("std", [](const Inputs& x) { return x[0].std(); }, {distinct({3, 4})});
  require_gradcheck("std(1)", [](const Inputs& x) { return x[0].std(1, false, true); }, {distinct({3, 4})});
  require_gradcheck("flatten", [](const Inputs& x) { return x[0].flatten(1) * 2.0; }, {distinct({2, 3, 2})});
  require_gradcheck("repeat", [](const Inputs& x) { return x[0].repeat({2, 1, 3}); }, {distinct({2, 3})});
  require_gradcheck("clamp", [](const Inputs& x) { return x[0].clamp(-1.0, 1.0); }, {distinct({3, 4})});
}

TEST_CASE("cumsum, sort and repeat pass PyTorch's gradients") {
  mt::Tensor x = x23();
  (x.cumsum(1) * w23()).sum().backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{6, 5, 3, 15, 11, 6});
  x = x23();
  (std::get<0>(x.sort(1)) * w23()).sum().backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{2, 1, 3, 6, 5, 4});
  x = x23();
  (x.repeat({2, 2}) * mt::arange(0, 24, 1, mt::kFloat64).view({4, 6})).sum().backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{30, 34, 38, 54, 58, 62});
}

TEST_CASE("clamp passes the gradient where min <= x <= max, boundaries included, NaN not, as PyTorch") {
  mt::Tensor x = helpers::leaf_of({-1.f, 0.f, 0.5f, 1.f, 2.f});
  x.clamp(0, 1).sum().backward();
  CHECK(mismatch(x.grad(), {5}, {0, 1, 1, 1, 0}, 0, 0, "clamp grad") == "");
  x = helpers::leaf_of({1.f, NAN, 3.f});
  mt::Tensor y = x.clamp(0, 2);
  CHECK(std::isnan(y.to_vector<float>()[1]));
  y.sum().backward();
  CHECK(mismatch(x.grad(), {3}, {1, 0, 0}, 0, 0, "clamp grad at NaN") == "");
  x = helpers::leaf_of({-1.f, 0.f, 2.f});
  x.clamp_min(0).sum().backward();
  CHECK(mismatch(x.grad(), {3}, {0, 1, 1}, 0, 0, "clamp_min grad") == "");
}

TEST_CASE("ties: max() and min() split the gradient evenly (PyTorch 1.13), min(dim) and max(dim) send it to the index") {
  mt::Tensor x = helpers::leaf_of({2.f, 5.f, 5.f, 1.f});
  x.max().backward();
  CHECK(mismatch(x.grad(), {4}, {0, 0.5, 0.5, 0}, 0, 0, "max() ties") == "");
  x = helpers::leaf_of({2.f, 1.f, 5.f, 1.f});
  x.min().backward();
  CHECK(mismatch(x.grad(), {4}, {0, 0.5, 0, 0.5}, 0, 0, "min() ties") == "");
  x = helpers::leaf_of({2.f, 5.f, 5.f, 1.f});
  auto [mv, mi] = x.view({1, 4}).max(1);
  mv.sum().backward();
  CHECK(mi.item<int64_t>() == 1);
  CHECK(mismatch(x.grad(), {4}, {0, 1, 0, 0}, 0, 0, "max(dim) ties") == "");
  x = helpers::leaf_of({1.f, 3.f, 1.f});
  auto [nv, ni] = x.view({1, 3}).min(1);
  nv.sum().backward();
  CHECK(ni.item<int64_t>() == 0);
  CHECK(mismatch(x.grad(), {3}, {1, 0, 0}, 0, 0, "min(dim) ties") == "");
}

TEST_CASE("norm at zero has gradient 0, as PyTorch (not NaN)") {
  mt::Tensor x = helpers::leaf_of({0.f, 0.f});
  mt::Tensor n = x.norm();
  CHECK(n.item<float>() == 0.f);
  n.backward();
  CHECK(mismatch(x.grad(), {2}, {0, 0}, 0, 0, "norm grad at 0") == "");
  x = helpers::leaf_of({0.f, 0.f});
  x.norm(3).backward();
  CHECK(mismatch(x.grad(), {2}, {0, 0}, 0, 0, "norm(3) grad at 0") == "");
}

TEST_CASE("member forms differentiate as their functions") {
  require_gradcheck("members", [](const Inputs& x) {
    return x[0].exp().add(x[0].tanh()).mul(x[0].sigmoid()).sub(x[0].abs().sqrt()).div(x[0].pow(2.0) + 1.0)
        .softmax(-1).log_softmax(0).matmul(x[0].t()).relu().neg();
  }, {distinct({3, 4})});
}
