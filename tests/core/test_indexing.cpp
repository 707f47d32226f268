// Indexing as libtorch: x.index({...}) with Slice, None, Ellipsis, integers, int64 index tensors and bool
// masks; index_put_; x[i]; index_select, gather, scatter, scatter_add, index_add_, masked_select and their
// gradients, each against PyTorch 1.13's numbers (tests/core/pytorch/indexing.py).
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <functional>
#include <string>
#include <vector>

namespace mt = microtorch;
using namespace mt::indexing;

namespace {

mt::Tensor base() { return mt::arange(24).to(mt::kFloat32).reshape({2, 3, 4}); }
mt::Tensor mask() {
  return mt::tensor({1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0}, {3, 4}) == 1;
}

struct IndexCase {
  const char* name;
  std::function<mt::Tensor(const mt::Tensor&)> index;
  mt::Shape shape;
  std::vector<float> values;
  bool view;  // basic indexing only: shares storage
};

const IndexCase kIndexCases[] = {
    {"x[:, -1]", [](const mt::Tensor& x) { return x.index({Slice(), -1}); }, {2, 4}, {8, 9, 10, 11, 20, 21, 22, 23}, true},
    {"x[0, 1::2]", [](const mt::Tensor& x) { return x.index({0, Slice(1, None, 2)}); }, {1, 4}, {4, 5, 6, 7}, true},
    {"x[None, ..., 0]", [](const mt::Tensor& x) { return x.index({None, Ellipsis, 0}); }, {1, 2, 3}, {0, 4, 8, 12, 16, 20}, true},
    {"x[1]", [](const mt::Tensor& x) { return x[1]; }, {3, 4}, {12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}, true},
    {"x[..., 1:3]", [](const mt::Tensor& x) { return x.index({Ellipsis, Slice(1, 3)}); }, {2, 3, 2},
     {1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22}, true},
    {"x[:, ids]", [](const mt::Tensor& x) { return x.index({Slice(), mt::tensor({2, 0, 2})}); }, {2, 3, 4},
     {8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11, 20, 21, 22, 23, 12, 13, 14, 15, 20, 21, 22, 23}, false},
    {"x[ids]", [](const mt::Tensor& x) { return x[mt::tensor({1, 0, -1})]; }, {3, 3, 4},
     {12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
      12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}, false},
    {"x[0][mask]", [](const mt::Tensor& x) { return x[0].index({mask()}); }, {6}, {0, 2, 6, 7, 8, 9}, false},
    {"x[:, mask]", [](const mt::Tensor& x) { return x.index({Slice(), mask()}); }, {2, 6},
     {0, 2, 6, 7, 8, 9, 12, 14, 18, 19, 20, 21}, false},
    {"x[ids2, :, ids3]",
     [](const mt::Tensor& x) { return x.index({mt::tensor({0, 1}, {2, 1}), Slice(), mt::tensor({3, 1})}); }, {2, 2, 3},
     {3, 7, 11, 1, 5, 9, 15, 19, 23, 13, 17, 21}, false},
    {"x[:, ids, ids]", [](const mt::Tensor& x) { return x.index({Slice(), mt::tensor({0, 2}), mt::tensor({1, 3})}); },
     {2, 2}, {1, 11, 13, 23}, false},
    {"x[True]", [](const mt::Tensor& x) { return x.index({true}); }, {1, 2, 3, 4},
     {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}, true},
};

struct PutCase {
  const char* name;
  std::function<void(mt::Tensor&)> put;
  std::vector<float> after;
};

const PutCase kPutCases[] = {
    {"x[:, 0] = v", [](mt::Tensor& x) { x.index_put_({Slice(), 0}, mt::tensor({-1.f, -2.f, -3.f, -4.f})); },
     {-1, -2, -3, -4, 4, 5, 6, 7, 8, 9, 10, 11, -1, -2, -3, -4, 16, 17, 18, 19, 20, 21, 22, 23}},
    {"x[ids] = 5", [](mt::Tensor& x) { x[0].index_put_({mt::tensor({2, 0})}, 5); },
     {5, 5, 5, 5, 4, 5, 6, 7, 5, 5, 5, 5, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}},
    {"x[mask] = -7", [](mt::Tensor& x) { x[1].index_put_({mask()}, -7); },
     {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -7, 13, -7, 15, 16, 17, -7, -7, -7, -7, 22, 23}},
    {"x[:, ids, ids] = v",
     [](mt::Tensor& x) {
       x.index_put_({Slice(), mt::tensor({0, 2}), mt::tensor({1, 3})}, mt::tensor({10.f, 20.f, 30.f, 40.f}, {2, 2}));
     },
     {0, 10, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 12, 30, 14, 15, 16, 17, 18, 19, 20, 21, 22, 40}},
};

std::vector<double> doubles(const mt::Tensor& t) { return t.to(mt::kFloat64).to_vector<double>(); }

void require_close(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(got[i] == Approx(want[i]).epsilon(1e-12).margin(1e-12));
  }
}

}  // namespace

TEST_CASE("indexing: x.index({...}) and x[i] as PyTorch, views for basic indices, copies for index tensors") {
  for (const IndexCase& c : kIndexCases) {
    INFO(c.name);
    const mt::Tensor x = base().clone();
    const mt::Tensor y = c.index(x);
    CHECK(y.shape() == c.shape);
    CHECK(y.to_vector<float>() == c.values);
    CHECK(y.is_view() == c.view);
  }
  const mt::Tensor x = base();
  CHECK_THROWS_AS(x.index({0, 0, 0, 0}), std::out_of_range);
  CHECK_THROWS_AS(x.index({Ellipsis, Ellipsis}), std::invalid_argument);
  CHECK_THROWS_AS(x[mt::tensor({2})], std::out_of_range);  // index 2 of a dim of size 2
  CHECK_THROWS_AS(x.index({mt::tensor({0.5f})}), std::invalid_argument);
  CHECK_THROWS_AS(x[0].index({mt::zeros({2, 2}, mt::kBool)}), std::invalid_argument);  // mask shape
}

TEST_CASE("indexing: index_put_ writes through views and index tensors, as PyTorch") {
  for (const PutCase& c : kPutCases) {
    INFO(c.name);
    mt::Tensor x = base().clone();
    c.put(x);
    CHECK(x.to_vector<float>() == c.after);
  }
}

TEST_CASE("indexing: index_select, gather, scatter, scatter_add, index_add_, masked_select, as PyTorch") {
  const mt::Tensor x = base()[0];  // (3, 4)
  const mt::Tensor g = mt::tensor({0, 3, 2, 2, 1, 0}, {3, 2});
  const mt::Tensor src = mt::arange(6).to(mt::kFloat32).reshape({3, 2}) * 10;
  CHECK(x.index_select(1, mt::tensor({3, 0, 3})).to_vector<float>() == std::vector<float>{3, 0, 3, 7, 4, 7, 11, 8, 11});
  CHECK(x.gather(1, g).to_vector<float>() == std::vector<float>{0, 3, 6, 6, 9, 8});
  CHECK(x.scatter(1, g, src).to_vector<float>() == std::vector<float>{0, 1, 2, 10, 4, 5, 30, 7, 50, 40, 10, 11});
  CHECK(x.scatter_add(1, g, src).to_vector<float>() == std::vector<float>{0, 1, 2, 13, 4, 5, 56, 7, 58, 49, 10, 11});
  mt::Tensor y = x.clone();
  y.index_add_(0, mt::tensor({2, 0, 2}), mt::ones({3, 4}));
  CHECK(y.to_vector<float>() == std::vector<float>{1, 2, 3, 4, 4, 5, 6, 7, 10, 11, 12, 13});
  CHECK(x.masked_select(x > 6.5).to_vector<float>() == std::vector<float>{7, 8, 9, 10, 11});
  CHECK_THROWS_AS(x.index_select(1, mt::tensor({-1})), std::out_of_range);  // no wrap, as PyTorch
  CHECK_THROWS_AS(x.gather(1, mt::tensor({4}, {1, 1})), std::out_of_range);
  CHECK_THROWS_AS(x.gather(1, mt::tensor({0})), std::invalid_argument);     // the index's dims
  mt::Tensor z = x.clone();
  z.scatter_(1, g, src);
  CHECK(z.to_vector<float>() == x.scatter(1, g, src).to_vector<float>());
}

TEST_CASE("indexing: gradients through index, gather, scatter, scatter_add, index_add, masked_select and index_put_, float64") {
  const mt::Tensor w = (mt::arange(12).to(mt::kFloat64) * 2.0 / 11.0 - 1.0).reshape({3, 4});
  const mt::Tensor g = mt::tensor({0, 3, 2, 2, 1, 0}, {3, 2});
  mt::Tensor xs = (mt::arange(12).to(mt::kFloat64).reshape({3, 4}) * 0.5 - 2).detach().requires_grad_(true);
  mt::Tensor s = (mt::arange(6).to(mt::kFloat64).reshape({3, 2}) * 0.25 + 1).detach().requires_grad_(true);
  const mt::Tensor loss =
      mt::pow(xs.index({Slice(), mt::tensor({1, 3, 1})}), 2).sum() + (xs.index({mask()}) * 3).sum() +
      mt::pow(xs.gather(1, g), 3).sum() + (xs.scatter(1, g, s) * w).sum() + (mt::pow(xs.scatter_add(1, g, s), 2) * w).sum() +
      (xs.index_add(0, mt::tensor({2, 0, 2}), mt::ones({3, 4}, mt::kFloat64) * s.index({0, 0})) * w).sum() +
      xs.masked_select(xs > 0.4).sum() + xs.index_select(1, mt::tensor({2, 2})).sum();
  CHECK(loss.item<double>() == Approx(145.9375).epsilon(1e-14));
  loss.backward();
  require_close(doubles(xs.grad()), {16, -5.1818181818181817, 5, -1.3863636363636365, -0.54545454545454541,
                                     2.7272727272727271, 12.863636363636363, 8.3636363636363633, 20.31818181818182,
                                     39.113636363636367, 9.545454545454545, 17});
  require_close(doubles(s.grad()), {3.9090909090909092, -1.1363636363636365, 0.86363636363636287, 0.86363636363636287,
                                    6.3636363636363651, 4.3181818181818183});
  // index_put_ on a buffer that requires no grad, from values that do: recorded, as PyTorch
  mt::Tensor v = (mt::arange(8).to(mt::kFloat64) * 0.5).detach().requires_grad_(true);
  mt::Tensor h = mt::zeros({3, 4}, mt::kFloat64);
  h.index_put_({mt::tensor({0, 2})}, v.view({2, 4}));
  h.index_put_({Slice(), 1}, v.slice(0, 0, 3) * 2);
  const mt::Tensor loss2 = (h * w).sum();
  CHECK(loss2.item<double>() == Approx(6.7272727272727275).epsilon(1e-14));
  loss2.backward();
  require_close(doubles(v.grad()), {-2.6363636363636362, -0.18181818181818188, 0.63636363636363658, -0.45454545454545459,
                                    0.45454545454545459, 0, 0.81818181818181812, 1});
}

TEST_CASE("indexing: gradcheck of each indexing op in float64") {
  mt::manual_seed(9);
  auto leaf = [](const mt::Shape& s) { return mt::randn(s, mt::TensorOptions().dtype(mt::kFloat64).requires_grad(true)); };
  const mt::Tensor g = mt::tensor({0, 3, 2, 1, 1, 0}, {3, 2});  // no repeated place: scatter's gradient is defined
  using Fn = std::function<mt::Tensor(const std::vector<mt::Tensor>&)>;
  const std::vector<std::pair<std::string, Fn>> fns = {
      {"index", [](const std::vector<mt::Tensor>& a) { return a[0].index({mt::tensor({2, 0, 2}), Slice(1, None, 2)}); }},
      {"mask", [](const std::vector<mt::Tensor>& a) { return a[0].index({mask()}); }},
      {"gather", [g](const std::vector<mt::Tensor>& a) { return a[0].gather(1, g); }},
      {"scatter", [g](const std::vector<mt::Tensor>& a) { return a[0].scatter(1, g, a[1]); }},
      {"scatter_add", [g](const std::vector<mt::Tensor>& a) { return a[0].scatter_add(1, g, a[1]); }},
      {"index_add", [](const std::vector<mt::Tensor>& a) { return a[0].index_add(1, mt::tensor({3, 3}), a[1]); }},
  };
  for (const auto& [name, f] : fns) {
    const mt::autograd::GradcheckResult r = mt::autograd::gradcheck(f, {leaf({3, 4}), leaf({3, 2})}, name);
    INFO(r.message());
    CHECK(r.ok);
  }
}
