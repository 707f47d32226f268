// + - * / backward hands a fresh same-shape gradient straight to the leaf (core/ops/binary.cpp), which adopts
// it instead of copying: the values must still be right, and no two gradients, nor a gradient and the
// caller's seed, may share a buffer (each is written in place later by an optimizer or a clip).
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <vector>

namespace mt = microtorch;
using Floats = std::vector<float>;

namespace {
mt::Tensor leaf(const Floats& v) { return mt::tensor(v, {static_cast<int64_t>(v.size())}).requires_grad_(true); }
void add_one(const mt::Tensor& t) {  // an in-place write, as an optimizer's
  float* p = t.data_ptr<float>();
  for (int64_t k = 0; k < t.numel(); ++k) p[k] += 1.0f;
}
}  // namespace

TEST_CASE("binary backward: x * y gives x.grad = y, y.grad = x, in separate buffers") {
  mt::Tensor x = leaf({1, 2, 3}), y = leaf({4, 5, 6});
  (x * y).sum().backward();
  CHECK(x.grad().to_vector<float>() == Floats{4, 5, 6});
  CHECK(y.grad().to_vector<float>() == Floats{1, 2, 3});
  add_one(x.grad());
  CHECK(y.grad().to_vector<float>() == Floats{1, 2, 3});
  CHECK(y.to_vector<float>() == Floats{4, 5, 6});
}

TEST_CASE("binary backward: x * x and (x * 2) / 4 accumulate into one gradient") {
  mt::Tensor x = leaf({1, -2, 3});
  (x * x).sum().backward();
  CHECK(x.grad().to_vector<float>() == Floats{2, -4, 6});
  mt::zero_grad(x);
  ((x * 2.0f) / 4.0f).sum().backward();
  CHECK(x.grad().to_vector<float>() == Floats{0.5f, 0.5f, 0.5f});
}

TEST_CASE("binary backward: x + y and x - y never share dy or the seed with a leaf") {
  mt::Tensor x = leaf({1, 2}), y = leaf({3, 4});
  const mt::Tensor seed = mt::tensor(Floats{10, 20}, {2});
  (x + y).backward(seed);
  add_one(x.grad());
  CHECK(x.grad().to_vector<float>() == Floats{11, 21});
  CHECK(y.grad().to_vector<float>() == Floats{10, 20});
  CHECK(seed.to_vector<float>() == Floats{10, 20});
  mt::zero_grad(x);
  mt::zero_grad(y);
  (x - y).backward(seed);
  CHECK(x.grad().to_vector<float>() == Floats{10, 20});
  CHECK(y.grad().to_vector<float>() == Floats{-10, -20});
  add_one(y.grad());
  CHECK(seed.to_vector<float>() == Floats{10, 20});
}
