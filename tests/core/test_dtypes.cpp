// Dtypes and type promotion against PyTorch 1.13's numbers (tests/core/pytorch/dtypes.py): the promotion
// table for tensors with dims, zero-dim tensors and numbers; the examples; float16 and bfloat16
// rounding (to nearest even, bit for bit) and arithmetic computed in float32 and rounded once; float64 values
// and gradcheck in float64 for the core ops.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>
#include <cstring>
#include <vector>

namespace mt = microtorch;
using mt::kBFloat16, mt::kBool, mt::kFloat16, mt::kFloat32, mt::kFloat64, mt::kInt32, mt::kInt64;

namespace {

const mt::Dtype kAll[] = {kBool, kInt32, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64};

mt::Tensor ones_of(mt::Dtype d, bool zero_dim = false) { return mt::ones(zero_dim ? mt::Shape{} : mt::Shape{2}, d); }

struct Row {
  mt::Dtype a;
  std::vector<mt::Dtype> with;
};

// PyTorch's result dtype of dim a with dim b (the order of kAll).
const Row kDimDim[] = {
    {kBool, {kBool, kInt32, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64}},
    {kInt32, {kInt32, kInt32, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64}},
    {kInt64, {kInt64, kInt64, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64}},
    {kFloat16, {kFloat16, kFloat16, kFloat16, kFloat16, kFloat32, kFloat32, kFloat64}},
    {kBFloat16, {kBFloat16, kBFloat16, kBFloat16, kFloat32, kBFloat16, kFloat32, kFloat64}},
    {kFloat32, {kFloat32, kFloat32, kFloat32, kFloat32, kFloat32, kFloat32, kFloat64}},
    {kFloat64, {kFloat64, kFloat64, kFloat64, kFloat64, kFloat64, kFloat64, kFloat64}},
};
// Dim a with zero-dim b, PyTorch's rule: b counts only when its category (bool < integer < floating) is
// above a's, and then as a dim would (kDimDim); else the result is a's dtype.
int category(mt::Dtype d) { return d == kBool ? 0 : mt::is_floating_point(d) ? 2 : 1; }
mt::Dtype dim_with_zero_dim(size_t a, size_t b) {
  return category(kAll[b]) > category(kAll[a]) ? kDimDim[a].with[b] : kAll[a];
}
// dim a with the numbers true, 2 and 2.5
const Row kDimNumber[] = {
    {kBool, {kBool, kInt64, kFloat32}},        {kInt32, {kInt32, kInt32, kFloat32}},
    {kInt64, {kInt64, kInt64, kFloat32}},      {kFloat16, {kFloat16, kFloat16, kFloat16}},
    {kBFloat16, {kBFloat16, kBFloat16, kBFloat16}}, {kFloat32, {kFloat32, kFloat32, kFloat32}},
    {kFloat64, {kFloat64, kFloat64, kFloat64}},
};

struct Rounding {
  uint32_t f32;  // a float32's bits
  uint16_t f16, bf16;
  double back16, back_bf16;  // each converted back to float
};
const Rounding kRounding[] = {
    {0x3f800000u, 0x3c00, 0x3f80, 1.0, 1.0},
    {0x3dcccccdu, 0x2e66, 0x3dcd, 0.0999755859375, 0.10009765625},
    {0x3f802000u, 0x3c01, 0x3f80, 1.0009765625, 1.0},
    {0x3f801000u, 0x3c00, 0x3f80, 1.0, 1.0},
    {0x3f803000u, 0x3c02, 0x3f80, 1.001953125, 1.0},
    {0x477fe000u, 0x7bff, 0x4780, 65504.0, 65536.0},
    {0x477feffdu, 0x7bff, 0x4780, 65504.0, 65536.0},
    {0x477ff000u, 0x7c00, 0x4780, INFINITY, 65536.0},
    {0x322bcc77u, 0x0000, 0x322c, 0.0, 1.0011717677116394e-08},
    {0x33000000u, 0x0000, 0x3300, 0.0, 2.9802322387695312e-08},
    {0x33800000u, 0x0001, 0x3380, 5.960464477539063e-08, 5.960464477539063e-08},
    {0x33c00000u, 0x0002, 0x33c0, 1.1920928955078125e-07, 8.940696716308594e-08},
    {0xc0490fdbu, 0xc248, 0xc049, -3.140625, -3.140625},
    {0x47c35000u, 0x7c00, 0x47c3, INFINITY, 99840.0},
    {0x7f800000u, 0x7c00, 0x7f80, INFINITY, INFINITY},
    {0xff800000u, 0xfc00, 0xff80, -INFINITY, -INFINITY},
    {0x38800000u, 0x0400, 0x3880, 6.103515625e-05, 6.103515625e-05},
    {0x38000000u, 0x0200, 0x3800, 3.0517578125e-05, 3.0517578125e-05},
    {0x3f808000u, 0x3c04, 0x3f80, 1.00390625, 1.0},
    {0x3f80c000u, 0x3c06, 0x3f81, 1.005859375, 1.0078125},
    {0x3f810000u, 0x3c08, 0x3f81, 1.0078125, 1.0078125},
    {0x7f61b1e6u, 0x7c00, 0x7f62, INFINITY, 3.00405527047391e+38},
    {0x80000000u, 0x8000, 0x8000, -0.0, -0.0},
};

float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

void require_floats(const mt::Tensor& t, const std::vector<double>& want) {
  const std::vector<double> got = t.to(kFloat64).to_vector<double>();
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    if (std::isinf(want[i])) CHECK(got[i] == want[i]);
    else CHECK(got[i] == Approx(want[i]).epsilon(1e-12).margin(1e-300));
  }
}

}  // namespace

TEST_CASE("dtypes: promotion of tensors with dims, zero-dim tensors and numbers, as PyTorch") {
  for (const Row& r : kDimDim)
    for (size_t j = 0; j < 7; ++j) {
      INFO(mt::dtype_name(r.a) << " with " << mt::dtype_name(kAll[j]));
      CHECK(mt::result_type(ones_of(r.a), ones_of(kAll[j])) == r.with[j]);
      CHECK(mt::promote_types(r.a, kAll[j]) == r.with[j]);
      CHECK(mt::result_type(ones_of(r.a, true), ones_of(kAll[j], true)) == r.with[j]);  // two zero-dim: as dims
      if (r.a != kBool || kAll[j] != kBool) CHECK((ones_of(r.a) + ones_of(kAll[j])).dtype() == r.with[j]);
    }
  for (size_t i = 0; i < 7; ++i)
    for (size_t j = 0; j < 7; ++j) {
      INFO(mt::dtype_name(kAll[i]) << " with zero-dim " << mt::dtype_name(kAll[j]));
      CHECK(mt::result_type(ones_of(kAll[i]), ones_of(kAll[j], true)) == dim_with_zero_dim(i, j));
    }
  for (const Row& r : kDimNumber) {
    INFO(mt::dtype_name(r.a) << " with numbers");
    CHECK(mt::result_type(ones_of(r.a), mt::Scalar(true)) == r.with[0]);
    CHECK(mt::result_type(ones_of(r.a), mt::Scalar(2)) == r.with[1]);
    CHECK(mt::result_type(ones_of(r.a), mt::Scalar(2.5)) == r.with[2]);
    if (r.a != kBool) CHECK((ones_of(r.a) * 2.5).dtype() == r.with[2]);
  }
}

TEST_CASE("dtypes: the issue's examples, with PyTorch's values") {
  const mt::Tensor ids = mt::tensor({1, 2, 3});
  const mt::Tensor x = mt::tensor({0.5f, -1.5f, 2.0f});
  CHECK((ids * 2.0f).dtype() == kFloat32);
  CHECK((ids * 2).dtype() == kInt64);
  CHECK((ids * 2).to_vector<int64_t>() == std::vector<int64_t>{2, 4, 6});
  const mt::Tensor count = (x > 0).sum();
  CHECK(count.dtype() == kInt64);
  CHECK(count.item<int64_t>() == 2);
  CHECK((x.to(kFloat64) + x).dtype() == kFloat64);
  CHECK((ids / 2).dtype() == kFloat32);
  CHECK((ids / 2).to_vector<float>() == std::vector<float>{0.5f, 1.0f, 1.5f});
  CHECK((ids + true).to_vector<int64_t>() == std::vector<int64_t>{2, 3, 4});
  CHECK((ids == 2).to_vector<bool>() == std::vector<bool>{false, true, false});
  CHECK_THROWS_AS(mt::ones({2}, kBool) - mt::ones({2}, kBool), std::invalid_argument);
  mt::Tensor ints = mt::tensor({1, 2});
  CHECK_THROWS_AS(ints.add_(0.5), std::invalid_argument);  // a float result does not go into an int64 tensor
  ints.add_(3);
  CHECK(ints.to_vector<int64_t>() == std::vector<int64_t>{4, 5});
}

TEST_CASE("dtypes: float16 and bfloat16 round to nearest even, bit for bit as PyTorch") {
  for (const Rounding& r : kRounding) {
    INFO("float32 bits " << std::hex << r.f32);
    const float f = from_bits(r.f32);
    CHECK(mt::Half(f).bits == r.f16);
    CHECK(mt::BFloat16(f).bits == r.bf16);
    CHECK(static_cast<double>(static_cast<float>(mt::Half(f))) == r.back16);
    CHECK(static_cast<double>(static_cast<float>(mt::BFloat16(f))) == r.back_bf16);
    const mt::Tensor t = mt::tensor({f});
    CHECK(t.half().item<float>() == static_cast<float>(r.back16));
    CHECK(t.bfloat16().item<float>() == static_cast<float>(r.back_bf16));
  }
  CHECK(std::isnan(static_cast<float>(mt::Half(NAN))));
  CHECK(mt::BFloat16(NAN).bits == 0x7fc0);
  for (uint32_t h = 0; h < 0x10000; ++h) {  // every half survives a round trip through float32
    const float f = mt::Half::to_float(static_cast<uint16_t>(h));
    if (!std::isnan(f)) REQUIRE(mt::Half::from_float(f) == h);
  }
}

TEST_CASE("dtypes: float16 and bfloat16 arithmetic computed in float32 and rounded once, as PyTorch") {
  const mt::Tensor a = mt::tensor({0.1f, 1.7f, -2.3f, 1000.5f, 3.3e-3f}), b = mt::tensor({0.7f, -0.3f, 2.9f, 0.25f, 7.1f});
  const mt::Tensor ah = a.half(), bh = b.half();
  CHECK((ah * bh).dtype() == kFloat16);
  require_floats(ah * bh, {0.07000732421875, -0.51025390625, -6.671875, 250.125, 0.0234375});
  require_floats(ah / bh, {0.142822265625, -5.66796875, -0.79345703125, 4002.0, 0.0004646778106689453});
  require_floats(ah + 2.5, {2.599609375, 4.19921875, 0.19921875, 1003.0, 2.50390625});
  require_floats(ah.sum(), {1000.0});
  const mt::Tensor ab = a.bfloat16(), bb = b.bfloat16();
  require_floats(ab * bb, {0.06982421875, -0.51171875, -6.6875, 250.0, 0.0234375});
  require_floats(ab / bb, {0.1435546875, -5.65625, -0.7890625, 4000.0, 0.00046539306640625});
  require_floats(ab + 2.5, {2.59375, 4.1875, 0.203125, 1004.0, 2.5});
  require_floats(ab.sum(), {1000.0});
  require_floats(mt::exp(ab), {1.1015625, 5.5, 0.1005859375, INFINITY, 1.0});
  require_floats(mt::tanh(ab), {0.099609375, 0.9375, -0.98046875, 1.0, 0.0032958984375});
  require_floats(mt::softmax(ab, 0), {0.0, 0.0, 0.0, 1.0, 0.0});
  // gradients come back in the input's dtype
  mt::Tensor w = a.bfloat16().detach().requires_grad_(true);
  (w * w).sum().backward();
  CHECK(w.grad().dtype() == kBFloat16);
  require_floats(w.grad(), {0.2001953125, 3.40625, -4.59375, 2000.0, 0.006591796875});
}

TEST_CASE("dtypes: float64 values as PyTorch's, to the last bit") {
  const mt::Tensor d = mt::tensor(std::vector<double>{0.1, 0.2, 0.3}, {3});
  CHECK(d.dtype() == kFloat64);
  CHECK((d * 3 + 1e-12).to_vector<double>() == std::vector<double>{0.300000000001, 0.6000000000010001, 0.9000000000009999});
  CHECK(d.sum().item<double>() == 0.6000000000000001);
  require_floats(mt::exp(d), {1.1051709180756477, 1.2214027581601699, 1.3498588075760032});
  require_floats(mt::tanh(d), {0.09966799462495582, 0.197375320224904, 0.2913126124515909});
}
