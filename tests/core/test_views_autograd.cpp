// Autograd through views, each rule with PyTorch 1.13's numbers (tests/core/pytorch/views.py): gradients flow
// through views; an in-place op on a view of a non-leaf is recorded and the base's gradient is right
// (CopySlices); a view made before a write through another view gets its node again from the base; a buffer
// filled row by row from values that require grad (a KV cache); an in-place op on a view of a leaf that
// requires grad raises; a saved value changed in place through a view is caught by the version counter.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <functional>
#include <string>
#include <vector>

namespace mt = microtorch;
using Catch::Matchers::Contains;

namespace {

struct Leaves {
  mt::Tensor x, w, y;
};

// x, w (3, 4) and y (4), as views.py builds them (every value a multiple of 1/8: exact in float32).
Leaves leaves(mt::Dtype dtype) {
  const mt::Tensor i = mt::arange(12).to(dtype).reshape({3, 4});
  Leaves l;
  l.x = (i * 0.25f - 1.0f).detach().requires_grad_(true);
  l.w = (i * -0.125f + 0.5f).detach().requires_grad_(true);
  l.y = mt::tensor({0.5f, -1.5f, 2.0f, 3.0f}).to(dtype).detach().requires_grad_(true);
  return l;
}

struct Case {
  const char* name;
  std::function<mt::Tensor(Leaves&)> loss;
  double loss_value;
  std::vector<double> dx, dy;  // PyTorch's x.grad, y.grad (empty: y unused)
};

mt::Tensor sq(const mt::Tensor& t) { return t * t; }

const Case kCases[] = {
    {"through_views",
     [](Leaves& l) {
       const mt::Tensor& x = l.x;
       return (x.t().select(0, 1) * x.select(1, 2)).sum() + sq(x.narrow(1, 1, 2)).sum() + x.diagonal(1).sum() * 3.0f +
              (x.slice(1, 0, 4, 2).unsqueeze(0).expand({2, 3, 2}) * x.select(1, 3).view({3, 1})).sum() +
              x.reshape({-1}).slice(0, 5, 9).sum();
     },
     24.5625, {-0.5, 1, -2.25, -3, 1.5, 2, 6.75, 2, 4.5, 4, 7.75, 8}, {}},
    {"inplace_on_view",
     [](Leaves& l) {
       mt::Tensor h = l.x * 2.0f;
       h.select(0, 1).mul_(l.y);
       h.narrow(1, 2, 2).add_(h.select(0, 0).slice(0, 0, 2));
       return (h * l.w).sum();
     },
     -8.65625, {-0.5, -1.5, 0.5, 0.25, 0, 0.375, -1, -2.25, -1, -1.25, -1.5, -1.75}, {0, -0.0625, -0.25, -0.5625}},
    {"stale_view",
     [](Leaves& l) {
       mt::Tensor h = l.x * 1.5f;
       mt::Tensor a = h.select(0, 0), b = h.select(1, 1);
       a.copy_(l.y * 3.0f);
       return (b * b).sum() + (a * l.w.select(0, 0)).sum() + (h * l.w).sum();
     },
     20.71875, {0, 0, 0, 0, 0, 0.9375, -0.375, -0.5625, -0.75, 4.6875, -1.125, -1.3125}, {3, -24.75, 1.5, 0.75}},
    {"kv_cache",
     [](Leaves& l) {
       mt::Tensor buf = mt::zeros({3, 4}, l.x.dtype());
       for (int64_t t = 0; t < 3; ++t) buf.select(0, t).copy_(l.x.select(0, t) * l.y);
       buf.t().select(0, 1).mul_(mt::full({}, 2.0f).to(l.x.dtype()));
       return (buf * l.w).sum() + buf.sum();
     },
     2, {0.75, -4.125, 2.5, 3.375, 0.5, -2.625, 1.5, 1.875, 0.25, -1.125, 0.5, 0.375}, {-1, -0.6875, 0.125, 0.40625}},
    {"transposed_and_diagonal",
     [](Leaves& l) {
       mt::Tensor h = l.x + 0.0f;
       h.t().select(0, 2).copy_(l.y.slice(0, 0, 3));
       h.slice(1, 0, 3).diagonal().mul_(l.y.slice(0, 1, 4));
       return (h * h * l.w).sum();
     },
     -30.5546875, {-2.25, -0.5625, 0, -0.0625, 0, -0.25, 0, -0.5625, -1, -1.5625, 0, -3.0625}, {0.25, -0.75, -27.03125, -18}},
};

std::vector<double> values(const mt::Tensor& t) { return t.to(mt::kFloat64).to_vector<double>(); }

void check_case(const Case& c, mt::Dtype dtype) {
  INFO("case " << c.name << ", " << mt::dtype_name(dtype));
  Leaves l = leaves(dtype);
  const mt::Tensor loss = c.loss(l);
  CHECK(loss.item<double>() == Approx(c.loss_value).margin(1e-9));
  loss.backward();
  REQUIRE(l.x.grad().defined());
  const std::vector<double> dx = values(l.x.grad());
  REQUIRE(dx.size() == c.dx.size());
  for (size_t i = 0; i < dx.size(); ++i) CHECK(dx[i] == Approx(c.dx[i]).margin(1e-9));
  if (c.dy.empty()) return;
  REQUIRE(l.y.grad().defined());
  const std::vector<double> dy = values(l.y.grad());
  for (size_t i = 0; i < dy.size(); ++i) CHECK(dy[i] == Approx(c.dy[i]).margin(1e-9));
}

}  // namespace

TEST_CASE("views autograd: every rule against PyTorch's gradients, float32") {
  for (const Case& c : kCases) check_case(c, mt::kFloat32);
}

TEST_CASE("views autograd: an in-place op on a view of a leaf that requires grad raises, as PyTorch") {
  mt::Tensor w = mt::ones({2, 3}).requires_grad_(true);
  const std::string leaf_view = "a view of a leaf tensor that requires grad";
  CHECK_THROWS_WITH(w.view({3, 2}).fill_(1.0f), Contains(leaf_view) && Contains("fill_"));
  CHECK_THROWS_WITH(w.unsqueeze(0).zero_(), Contains(leaf_view));
  CHECK_THROWS_WITH(w.reshape({6}).copy_(mt::zeros({6})), Contains(leaf_view) && Contains("copy_"));
  CHECK_THROWS_WITH(w.select(0, 0).add_(mt::ones({3})), Contains(leaf_view) && Contains("add_"));
  CHECK_THROWS_AS(w.t().mul_(2.0f), std::runtime_error);
  CHECK(w.to_vector<float>() == std::vector<float>(6, 1.0f));  // nothing written
  {
    mt::NoGradGuard no_grad;  // allowed without grad mode, as an optimizer's write
    w.select(0, 1).fill_(5.0f);
  }
  CHECK(w.to_vector<float>() == std::vector<float>{1, 1, 1, 5, 5, 5});
}

TEST_CASE("views autograd: a saved value changed in place through a view is caught, naming the op") {
  mt::Tensor x = mt::ones({3}).requires_grad_(true);
  mt::Tensor h = x * 2.0f;
  mt::Tensor s = h * h;  // saves h
  h.slice(0, 1, 3).add_(mt::ones({2}));
  CHECK_THROWS_WITH(s.sum().backward(), Contains("'mul'") && Contains("modified by an in-place operation"));
  // a view's own saved value: v shares h's storage and its version
  mt::Tensor h2 = x * 2.0f;
  mt::Tensor v = h2.select(0, 0);
  mt::Tensor r = mt::log(v);  // saves v
  h2.select(0, 2).mul_(3.0f);
  CHECK_THROWS_WITH(r.backward(), Contains("'log'"));
}

TEST_CASE("views autograd: detach shares storage and cuts the graph, views of a no-grad base carry none") {
  mt::Tensor x = mt::ones({2, 2}).requires_grad_(true);
  mt::Tensor h = x * 3.0f;
  mt::Tensor d = h.detach();
  CHECK_FALSE(d.requires_grad());
  d.select(0, 0).fill_(7.0f);  // reaches h's values
  CHECK(h.to_vector<float>() == std::vector<float>{7, 7, 3, 3});
  mt::Tensor plain = mt::zeros({3});
  CHECK_FALSE(plain.narrow(0, 0, 2).requires_grad());
  {
    mt::NoGradGuard no_grad;
    mt::Tensor v = h.select(0, 1);
    CHECK_FALSE(v.requires_grad());
  }
}
