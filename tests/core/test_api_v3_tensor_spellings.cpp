// Every spelling of API.md version 3, "The Tensor as PyTorch's" (the member forms and everyday ops), written as
// a user would, compiled and run: if a spelling changes this stops compiling. Values are checked against
// PyTorch in tests/core/test_everyday_ops.cpp and the op tests; here only shapes and dtypes.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <tuple>

namespace mt = microtorch;

TEST_CASE("API v3 spellings: every functional op also as a member") {
  const mt::Tensor x = mt::rand({2, 3}) + 0.5f, y = mt::rand({3, 4});
  const mt::Shape s23{2, 3};
  CHECK(x.exp().shape() == s23); CHECK(x.log().shape() == s23); CHECK(x.tanh().shape() == s23);
  CHECK(x.sigmoid().shape() == s23); CHECK(x.relu().shape() == s23); CHECK(x.sqrt().shape() == s23);
  CHECK(x.rsqrt().shape() == s23); CHECK(x.abs().shape() == s23); CHECK(x.neg().shape() == s23);
  CHECK(x.pow(2.0).shape() == s23);
  CHECK(x.softmax(-1).shape() == s23); CHECK(x.log_softmax(-1).shape() == s23);
  CHECK(x.matmul(y).shape() == mt::Shape{2, 4}); CHECK(x.mm(y).shape() == mt::Shape{2, 4});
  CHECK(x.argmax(-1).shape() == mt::Shape{2}); CHECK(x.argmax(-1, true).shape() == mt::Shape{2, 1});
  CHECK(x.argmin(1).shape() == mt::Shape{2});
  CHECK(x.sum(1, true).shape() == mt::Shape{2, 1}); CHECK(x.mean(0).shape() == mt::Shape{3});
  CHECK(x.add(x).shape() == s23); CHECK(x.sub(x).shape() == s23); CHECK(x.mul(x).shape() == s23);
  CHECK(x.div(x).shape() == s23);
  CHECK(x.eq(x).dtype() == mt::kBool); CHECK(x.ne(x).dtype() == mt::kBool); CHECK(x.lt(x).dtype() == mt::kBool);
  CHECK(x.le(x).dtype() == mt::kBool); CHECK(x.gt(x).dtype() == mt::kBool); CHECK(x.ge(x).dtype() == mt::kBool);
  CHECK(x.tril().shape() == s23); CHECK(x.triu(1).shape() == s23);
  CHECK(x.where(x > 1.0f, mt::zeros({2, 3})).shape() == s23);
  auto [mv, mi] = x.max(1);
  CHECK(mv.shape() == mt::Shape{2}); CHECK(mi.dtype() == mt::kInt64);
  auto [tv, ti] = x.topk(2, 1);
  CHECK(tv.shape() == mt::Shape{2, 2}); CHECK(ti.shape() == mt::Shape{2, 2});
}

TEST_CASE("API v3 spellings: everyday tensor ops") {
  const mt::Tensor x = mt::randn({2, 3}), a = mt::randn({2, 3}), b = mt::randn({3, 4});
  CHECK(x.cumsum(1).shape() == mt::Shape{2, 3});
  CHECK(mt::cumsum(x, 0).shape() == mt::Shape{2, 3});
  auto [sv, si] = mt::sort(x, 1, /*descending=*/true);
  CHECK(sv.shape() == mt::Shape{2, 3}); CHECK(si.dtype() == mt::kInt64);
  auto [sv2, si2] = x.sort();
  CHECK(sv2.shape() == mt::Shape{2, 3}); CHECK(si2.dtype() == mt::kInt64);
  CHECK(x.argsort(1).dtype() == mt::kInt64); CHECK(mt::argsort(x, 0, true).shape() == mt::Shape{2, 3});
  CHECK(x.clamp(-0.5, 0.5).shape() == mt::Shape{2, 3}); CHECK(x.clamp_min(0).shape() == mt::Shape{2, 3});
  CHECK(x.clamp_max(0.25f).shape() == mt::Shape{2, 3}); CHECK(mt::clamp(x, -1, 1).shape() == mt::Shape{2, 3});
  CHECK(x.min().dim() == 0); CHECK(x.max().dim() == 0); CHECK(mt::min(x).dim() == 0); CHECK(mt::max(x).dim() == 0);
  auto [nv, ni] = x.min(1);
  CHECK(nv.shape() == mt::Shape{2}); CHECK(ni.dtype() == mt::kInt64);
  auto [nv2, ni2] = mt::min(x, 0, /*keepdim=*/true);
  CHECK(nv2.shape() == mt::Shape{1, 3}); CHECK(ni2.shape() == mt::Shape{1, 3});
  CHECK(x.norm().dim() == 0); CHECK(x.norm(1).dim() == 0); CHECK(mt::norm(x, 2, 1).shape() == mt::Shape{2});
  CHECK(x.std().dim() == 0); CHECK(x.std(1).shape() == mt::Shape{2}); CHECK(x.std(0, false, true).shape() == mt::Shape{1, 3});
  CHECK(x.var().dim() == 0);
  CHECK(x.flatten().shape() == mt::Shape{6}); CHECK(x.unsqueeze(0).flatten(1).shape() == mt::Shape{1, 6});
  CHECK(x.expand({4, 2, 3}).shape() == mt::Shape{4, 2, 3});
  CHECK(x.repeat({2, 2}).shape() == mt::Shape{4, 6}); CHECK(x.repeat({3, 1, 1}).shape() == mt::Shape{3, 2, 3});
  CHECK(mt::mm(a, b).shape() == mt::Shape{2, 4});
  CHECK(mt::bmm(mt::randn({5, 2, 3}), mt::randn({5, 3, 4})).shape() == mt::Shape{5, 2, 4});
  mt::Tensor c = a.clone();
  c += a; c -= a; c *= a; c /= 2.0f; c += 1; c -= 1.5; c *= 2;
  CHECK(c.shape() == mt::Shape{2, 3});
  CHECK(mt::arange(0, 1, 0.25).dtype() == mt::kFloat32); CHECK(mt::arange(0, 10, 3).dtype() == mt::kInt64);
  CHECK(mt::arange(0, 10, 3).numel() == 4); CHECK(mt::arange(0.0, 1.0).numel() == 1);
  CHECK(mt::arange(0, 1, 0.25, mt::TensorOptions().dtype(mt::kFloat64)).dtype() == mt::kFloat64);
  CHECK(mt::linspace(0, 1, 5).shape() == mt::Shape{5}); CHECK(mt::linspace(0, 1, 5, mt::kFloat64).dtype() == mt::kFloat64);
  CHECK(mt::randperm(7).dtype() == mt::kInt64); CHECK(mt::randperm(7).shape() == mt::Shape{7});
  CHECK(mt::full_like(x, 2.5).shape() == mt::Shape{2, 3}); CHECK(mt::randn_like(x).shape() == mt::Shape{2, 3});
  CHECK(mt::rand_like(x).dtype() == mt::kFloat32); CHECK(mt::zeros_like(x).shape() == mt::Shape{2, 3});
  CHECK(mt::ones_like(x).shape() == mt::Shape{2, 3}); CHECK(mt::empty_like(x).shape() == mt::Shape{2, 3});
  CHECK(mt::allclose(a, a)); CHECK(mt::allclose(a, a + 1e-7f, 1e-5, 1e-6)); CHECK(mt::equal(a, a));
  CHECK(a.allclose(a)); CHECK(a.equal(a));
  const mt::Tensor r = mt::randn({2, 3}, mt::TensorOptions().dtype(mt::kFloat64).requires_grad(true));
  CHECK(r.dtype() == mt::kFloat64); CHECK(r.requires_grad());
}
