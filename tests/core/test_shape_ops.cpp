// Shape ops: view and reshape, unsqueeze and squeeze, transpose and permute, narrow, select, slice, split and
// chunk (all views; test_views.cpp checks their sharing), cat and stack. Values by hand and against plain
// loops, gradients by hand and by gradcheck, negative dims, empty and size-1 dims, errors naming the bad dim or
// index with the valid range; the strided copy behind contiguous() of a permuted view against the element walk
// (core/ops/strided.h) and a part's backward written at the part against zeros-then-add (accumulate_grad_at).
#include <catch2/catch.hpp>
#include <microtorch/core/grad/door.h>
#include <microtorch/core/grad/state.h>
#include <microtorch/core/ops/strided.h>
#include <microtorch/core/ops/views.h>
#include <microtorch/microtorch.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <string>

#include "helpers.h"

namespace mt = microtorch;
using namespace helpers;

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

TEST_CASE("view, reshape and clone: values and gradients") {
  mt::Tensor v = a23().view({3, 2});
  require_values(v, {1, 2, 3, 4, 5, 6});
  mt::Tensor a = a23().requires_grad_(true);
  a.reshape({-1}).backward(mt::tensor(std::vector<float>{6, 5, 4, 3, 2, 1}, {6}));
  REQUIRE(a.grad().shape() == mt::Shape{2, 3});
  require_values(a.grad(), {6, 5, 4, 3, 2, 1});

  mt::manual_seed(19);
  require_gradcheck("view", [](const Inputs& x) { return x[0].view({3, -1}) * x[1]; }, {leaf({2, 3}), leaf({2})});
  require_gradcheck("reshape", [](const Inputs& x) { return x[0].reshape({4, 6}); }, {leaf({2, 3, 4})});
  require_gradcheck("clone", [](const Inputs& x) { return x[0].clone() * x[0]; }, {leaf({5})});
}

TEST_CASE("unsqueeze and squeeze share storage, and contiguous is the same tensor") {
  mt::Tensor x = iota({3, 4});
  CHECK(x.unsqueeze(0).shape() == mt::Shape{1, 3, 4});
  CHECK(x.unsqueeze(-1).shape() == mt::Shape{3, 4, 1});
  CHECK(x.unsqueeze(2).shape() == mt::Shape{3, 4, 1});
  CHECK(x.unsqueeze(0).squeeze(0).shape() == x.shape());
  CHECK(x.squeeze(0).shape() == x.shape());  // size 3: unchanged, as PyTorch
  CHECK(iota({1, 3, 1}).squeeze().shape() == mt::Shape{3});
  CHECK(mt::full({}, 2.0f).unsqueeze(0).shape() == mt::Shape{1});
  CHECK(mt::full({}, 2.0f).squeeze(0).shape() == mt::Shape{});
  CHECK(mt::detail::raw_data(x.unsqueeze(1)) == mt::detail::raw_data(x));
  CHECK(mt::detail::impl_ptr(x.contiguous()) == mt::detail::impl_ptr(x));
  CHECK_THROWS_AS(x.unsqueeze(3), std::out_of_range);
  CHECK_THROWS_AS(x.squeeze(-3), std::out_of_range);
  mt::manual_seed(1);
  require_gradcheck("unsqueeze/squeeze", [](const Inputs& a) { return a[0].unsqueeze(1).squeeze(1) * a[0].unsqueeze(0); },
                    {leaf({2, 3})});
}

TEST_CASE("transpose swaps two dims: a view, its values in the new order") {
  mt::Tensor t = a23().transpose(0, 1);
  REQUIRE(t.shape() == mt::Shape{3, 2});
  require_values(t, {1, 4, 2, 5, 3, 6});
  mt::Tensor t3 = mt::transpose(mt::arange(24, mt::kFloat32).view({2, 3, 4}), 0, -1);
  REQUIRE(t3.shape() == mt::Shape{4, 3, 2});
  REQUIRE(t3.to_vector<float>()[1] == 12.0f);  // (0, 0, 1) <- (1, 0, 0)

  mt::manual_seed(17);
  require_gradcheck("transpose", [](const Inputs& x) { return x[0].transpose(0, 1); }, {leaf({2, 3})});
  require_gradcheck("transpose3", [](const Inputs& x) { return mt::transpose(x[0], 2, 0); }, {leaf({2, 3, 4})});
}

TEST_CASE("permute and transpose: values by a loop, negative dims, any dtype, gradcheck") {
  mt::Tensor x = iota({2, 3, 4});
  mt::Tensor p = x.permute({2, 0, 1});
  REQUIRE(p.shape() == mt::Shape{4, 2, 3});
  const auto xv = x.to_vector<float>(), pv = p.to_vector<float>();
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 2; ++j)
      for (int64_t k = 0; k < 3; ++k) REQUIRE(pv[(i * 2 + j) * 3 + k] == xv[(j * 3 + k) * 4 + i]);
  CHECK(x.permute({-1, 0, 1}).to_vector<float>() == pv);
  CHECK(x.transpose(-2, -1).to_vector<float>() == x.permute({0, 2, 1}).to_vector<float>());
  CHECK(x.transpose(0, 0).to_vector<float>() == xv);
  CHECK(mt::arange(6).reshape({2, 3}).transpose(0, 1).to_vector<int64_t>() == std::vector<int64_t>{0, 3, 1, 4, 2, 5});
  CHECK(mt::zeros({0, 3}).transpose(0, 1).shape() == mt::Shape{3, 0});
  CHECK(mt::full({}, 1.0f).transpose(0, -1).shape() == mt::Shape{});
  CHECK_THROWS_AS(x.permute({0, 1}), std::invalid_argument);
  CHECK_THROWS_AS(x.permute({0, 0, 1}), std::invalid_argument);
  CHECK(rejects<std::out_of_range>([&] { x.transpose(0, 3); }, {"[-3, 2]"}) == "");
  mt::manual_seed(2);
  require_gradcheck("permute", [](const Inputs& a) { return a[0].permute({1, 2, 0}); }, {leaf({2, 3, 2})});
  require_gradcheck("transpose", [](const Inputs& a) { return a[0].transpose(-1, 0); }, {leaf({3, 2, 2})});
}

TEST_CASE("permute: contiguous() of a permuted view equals the element walk on random shapes and orders") {
  std::mt19937 rng(14);
  for (int trial = 0; trial < 60; ++trial) {
    const int64_t n = 1 + trial % 5;
    mt::Shape shape;
    for (int64_t i = 0; i < n; ++i) shape.push_back(std::uniform_int_distribution<int64_t>(trial % 7 == 0 ? 0 : 1, 5)(rng));
    std::vector<int64_t> dims(static_cast<size_t>(n));
    std::iota(dims.begin(), dims.end(), 0);
    std::shuffle(dims.begin(), dims.end() - (trial % 2 == 0 ? 1 : 0), rng);  // half keep the last dim last
    for (const mt::Tensor& a : {mt::randn(shape), mt::randint(0, 100, shape)}) {
      const mt::Tensor p = a.permute(dims);
      mt::Tensor plain = mt::empty(p.shape(), p.dtype());
      mt::detail::copy_strided_plain(plain, p);
      REQUIRE(p.contiguous().to(mt::kFloat64).to_vector<double>() == plain.to(mt::kFloat64).to_vector<double>());
    }
  }
  for (int64_t D : {16, 32, 48, 300}) {  // a head split's runs of D floats
    const mt::Tensor p = mt::randn({2, 3, 4, D}).permute({0, 2, 1, 3});
    mt::Tensor plain = mt::empty(p.shape());
    mt::detail::copy_strided_plain(plain, p);
    REQUIRE(p.contiguous().to_vector<float>() == plain.to_vector<float>());
  }
}

TEST_CASE("narrow, select, slice: views of a range, clamping, errors naming the index") {
  mt::Tensor x = iota({3, 4});
  require_values(x.narrow(1, 1, 2), {3, 2}, {1, 2, 5, 6, 9, 10});
  require_values(x.narrow(-2, 2, 1), {1, 4}, {8, 9, 10, 11});
  require_values(x.narrow(0, -1, 1), {1, 4}, {8, 9, 10, 11});
  CHECK(x.narrow(1, 4, 0).shape() == mt::Shape{3, 0});
  require_values(x.select(1, -1), {3}, {3, 7, 11});
  require_values(x.select(0, 1), {4}, {4, 5, 6, 7});
  require_values(x.slice(1, 1, 3), {3, 2}, {1, 2, 5, 6, 9, 10});
  require_values(x.slice(1, -2, 100), {3, 2}, {2, 3, 6, 7, 10, 11});
  CHECK(x.slice(0, 2, 1).shape() == mt::Shape{0, 4});
  CHECK(mt::arange(6).reshape({2, 3}).select(1, 2).to_vector<int64_t>() == std::vector<int64_t>{2, 5});
  // a view, as PyTorch: writing it writes x
  mt::Tensor row = x.select(0, 0);
  row.fill_(-1.0f);
  CHECK(x.to_vector<float>()[0] == -1.0f);
  x = iota({3, 4});
  CHECK(rejects<std::out_of_range>([&] { x.select(1, 4); }, {"index 4", "[-4, 3]"}) == "");
  CHECK_THROWS_AS(x.select(2, 0), std::out_of_range);
  CHECK_THROWS_AS(x.narrow(1, 3, 2), std::out_of_range);
  CHECK_THROWS_AS(x.narrow(1, 5, 0), std::out_of_range);
  CHECK_THROWS_AS(x.narrow(1, 0, -1), std::out_of_range);
  CHECK_THROWS_AS(mt::full({}, 1.0f).select(0, 0), std::out_of_range);
  mt::manual_seed(3);
  require_gradcheck("narrow", [](const Inputs& a) { return a[0].narrow(1, 1, 2); }, {leaf({2, 4, 2})});
  require_gradcheck("select", [](const Inputs& a) { return a[0].select(-1, 1) * a[0].select(0, 0); }, {leaf({3, 3})});
  require_gradcheck("slice", [](const Inputs& a) { return a[0].slice(0, 1, 3); }, {leaf({4, 2})});
}

TEST_CASE("narrow: a part's backward written at the part equals zeros-then-add, leaf and interior, repeated") {
  std::mt19937 rng(15);
  for (int trial = 0; trial < 30; ++trial) {
    const int64_t outer = 1 + trial % 4, D = 2 + trial % 5, inner = 1 + trial % 3;
    const mt::Shape shape{outer, D, inner};
    const bool leaf = trial % 2 == 0;
    mt::Tensor base[2], t[2];
    const mt::Tensor init = mt::randn(shape);
    for (int k = 0; k < 2; ++k) {
      base[k] = init.detach().requires_grad_(true);
      t[k] = leaf ? base[k] : base[k] * 1.0f;  // interior: a gradient that may be borrowed
    }
    for (int rep = 0; rep < 3; ++rep) {  // first into nothing, then onto a gradient
      const int64_t start = std::uniform_int_distribution<int64_t>(0, D - 1)(rng);
      const int64_t len = std::uniform_int_distribution<int64_t>(0, D - start)(rng);
      const int64_t step = 1 + rep % 2;
      const mt::Tensor g = mt::randn({outer, (len + step - 1) / step, inner});
      // the part: [start, start + len) of dim 1 every `step`, in a row-major tensor of the shape
      const mt::detail::Geometry at{g.shape(), {D * inner, inner * step, 1}, start * inner};
      mt::detail::accumulate_grad_at(t[0], g, at);
      mt::Tensor full = mt::zeros(shape);  // the plain path: zeros with g written at the part, added whole
      mt::detail::copy_strided(mt::detail::as_strided(full, at.sizes, at.strides, at.offset), g);
      mt::accumulate_grad(t[1], full);
      auto grad_of = [](const mt::Tensor& u) { return mt::grad::dense(u).to_vector<float>(); };
      REQUIRE(grad_of(t[0]) == grad_of(t[1]));
    }
  }
  // through split's backward: each piece's gradient lands in its own range
  const mt::Tensor x = mt::randn({3, 7}).requires_grad_(true);
  const std::vector<mt::Tensor> parts = x.split(3, 1);
  (parts[0].sum() * 2.0f + parts[2].sum() * 3.0f).backward();
  const std::vector<float> gx = x.grad().to_vector<float>();
  for (int64_t r = 0; r < 3; ++r)
    for (int64_t c = 0; c < 7; ++c) REQUIRE(gx[r * 7 + c] == (c < 3 ? 2.0f : c < 6 ? 0.0f : 3.0f));
}

TEST_CASE("split and chunk: PyTorch's piece sizes, and gradients of every piece add up") {
  mt::Tensor x = iota({2, 5});
  auto s = x.split(2, 1);
  REQUIRE(s.size() == 3);
  require_values(s[0], {2, 2}, {0, 1, 5, 6});
  require_values(s[2], {2, 1}, {4, 9});
  auto c = x.chunk(2, -1);  // ceil(5 / 2) = 3: pieces of 3 and 2
  REQUIRE(c.size() == 2);
  CHECK(c[0].shape() == mt::Shape{2, 3});
  CHECK(c[1].shape() == mt::Shape{2, 2});
  CHECK(iota({6}).chunk(4).size() == 3);  // pieces of 2: fewer than asked, as PyTorch
  CHECK(iota({2}).chunk(5).size() == 2);
  CHECK(mt::zeros({0, 2}).split(3, 0).size() == 1);
  CHECK_THROWS_AS(x.split(0, 1), std::invalid_argument);
  CHECK_THROWS_AS(x.chunk(0, 1), std::invalid_argument);
  CHECK_THROWS_AS(x.split(1, 2), std::out_of_range);
  mt::manual_seed(4);
  require_gradcheck("split", [](const Inputs& a) {
    auto p = a[0].split(2, 0);
    return p[0].sum(0, false) * 2.0f + p[1].sum(0, false) * p[2].sum(0, false);
  }, {leaf({5, 2})});
  require_gradcheck("chunk", [](const Inputs& a) { auto p = a[0].chunk(3, 1); return p[0] * p[2]; }, {leaf({2, 3})});
}

TEST_CASE("cat and stack: values, dtypes, empty pieces, errors, gradcheck") {
  mt::Tensor a = iota({2, 2}), b = iota({2, 1}) + 10.0f;
  require_values(mt::cat({a, b}, 1), {2, 3}, {0, 1, 10, 2, 3, 11});
  require_values(mt::cat({a, a}, -2), {4, 2}, {0, 1, 2, 3, 0, 1, 2, 3});
  require_values(mt::cat({a, mt::zeros({0, 2})}, 0), {2, 2}, {0, 1, 2, 3});
  require_values(mt::stack({a, a * 2.0f}, 0), {2, 2, 2}, {0, 1, 2, 3, 0, 2, 4, 6});
  require_values(mt::stack({a, a * 2.0f}, -1), {2, 2, 2}, {0, 0, 1, 2, 2, 4, 3, 6});
  CHECK(mt::cat({mt::arange(2), mt::arange(3)}, 0).to_vector<int64_t>() == std::vector<int64_t>{0, 1, 0, 1, 2});
  CHECK(mt::stack({mt::full({}, 1.0f), mt::full({}, 2.0f)}, 0).to_vector<float>() == std::vector<float>{1, 2});
  CHECK_THROWS_AS(mt::cat({}, 0), std::invalid_argument);
  CHECK_THROWS_AS(mt::cat({a, b}, 0), std::invalid_argument);
  CHECK_THROWS_AS(mt::cat({a, mt::arange(4).reshape({2, 2})}, 0), std::invalid_argument);
  CHECK_THROWS_AS(mt::cat({a, a}, 2), std::out_of_range);
  CHECK_THROWS_AS(mt::stack({a, b}, 0), std::invalid_argument);
  CHECK_THROWS_AS(mt::stack({a, a}, 3), std::out_of_range);
  mt::manual_seed(5);
  require_gradcheck("cat", [](const Inputs& x) { return mt::cat({x[0], x[1], x[0]}, 1); }, {leaf({2, 1, 2}), leaf({2, 3, 2})});
  require_gradcheck("cat const", [](const Inputs& x) { return mt::cat({x[0], x[1]}, 0); }, {leaf({1, 2}), mt::rand({2, 2})});
  require_gradcheck("stack", [](const Inputs& x) { return mt::stack({x[0], x[1] * x[0]}, 1); }, {leaf({2, 3}), leaf({2, 3})});
}
