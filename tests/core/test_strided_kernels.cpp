// Kernels that read strided operands where they lie, against the same op on contiguous copies: matmul with
// transposed, narrowed and broadcast operands, attention with heads split by views (q, k, v inside one
// (B, T, 3C) projection, the GPT's layout), the strided elementwise walk of + - * /, and the tiled copy of a
// transposed block against the plain loop.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>
#include <microtorch/core/ops/promotion.h>
#include <microtorch/core/ops/strided.h>

#include <functional>
#include <utility>
#include <vector>

namespace mt = microtorch;
namespace F = microtorch::nn::functional;

namespace {

void require_close(const mt::Tensor& got, const mt::Tensor& want, double tol = 1e-5) {
  REQUIRE(got.shape() == want.shape());
  const std::vector<float> g = got.to_vector<float>(), w = want.to_vector<float>();
  for (size_t i = 0; i < g.size(); ++i) {
    INFO("element " << i);
    REQUIRE(g[i] == Approx(w[i]).margin(tol).epsilon(tol));
  }
}

mt::Tensor fresh(const mt::Tensor& t) { return t.detach().contiguous().clone().requires_grad_(true); }

}  // namespace

TEST_CASE("strided kernels: matmul reads transposed, narrowed and broadcast operands in place") {
  mt::manual_seed(3);
  const mt::Tensor a = mt::randn({5, 7}), b = mt::randn({6, 5}), c = mt::randn({2, 4, 9, 5});
  require_close(mt::matmul(a.t(), b.t()), mt::matmul(a.t().contiguous(), b.t().contiguous()));
  require_close(mt::matmul(c.narrow(3, 1, 3), a.narrow(0, 1, 3)),
                mt::matmul(c.narrow(3, 1, 3).contiguous(), a.narrow(0, 1, 3).contiguous()));
  require_close(mt::matmul(c.transpose(0, 1), c.transpose(-1, -2).select(1, 0)),
                mt::matmul(c.transpose(0, 1).contiguous(), c.transpose(-1, -2).select(1, 0).contiguous()));
  const mt::Tensor e = mt::randn({1, 5}).expand({9, 5});  // stride 0 rows: copied, then multiplied
  require_close(mt::matmul(e, a), mt::matmul(e.contiguous(), a));
  // gradients of strided operands land in their own layout's elements
  mt::Tensor x = mt::randn({7, 5}).requires_grad_(true), y = mt::randn({9, 7}).requires_grad_(true);
  mt::Tensor x2 = fresh(x), y2 = fresh(y);
  const mt::Tensor w = mt::randn({5, 4});
  (mt::matmul(x.t(), y.narrow(0, 2, 4).t()) * w).sum().backward();
  (mt::matmul(x2.t().contiguous(), y2.narrow(0, 2, 4).t().contiguous()) * w).sum().backward();
  require_close(x.grad(), x2.grad());
  require_close(y.grad(), y2.grad());
}

TEST_CASE("strided kernels: attention with heads split and merged by views equals it on contiguous heads") {
  mt::manual_seed(4);
  const int64_t B = 2, T = 5, H = 3, D = 4, C = H * D;
  const mt::Tensor qkv0 = mt::randn({B, T, 3 * C});
  mt::Tensor qkv = qkv0.detach().requires_grad_(true), qkv2 = fresh(qkv0);
  auto heads = [&](const mt::Tensor& t) { return t.view({B, T, H, D}).transpose(1, 2); };
  const std::vector<mt::Tensor> p = qkv.split(C, 2);
  const mt::Tensor y = F::scaled_dot_product_attention(heads(p[0]), heads(p[1]), heads(p[2]), {}, 0.0, true);
  const mt::Tensor merged = y.transpose(1, 2);
  CHECK(merged.is_contiguous());  // the output is laid out (B, T, H, D): the merge is a free view
  const std::vector<mt::Tensor> p2 = qkv2.split(C, 2);
  const mt::Tensor y2 = F::scaled_dot_product_attention(heads(p2[0]).contiguous(), heads(p2[1]).contiguous(),
                                                        heads(p2[2]).contiguous(), {}, 0.0, true);
  require_close(y, y2);
  const mt::Tensor g = mt::randn({B, T, C});
  (merged.view({B, T, C}) * g).sum().backward();
  (y2.transpose(1, 2).contiguous().view({B, T, C}) * g).sum().backward();
  require_close(qkv.grad(), qkv2.grad());
}

TEST_CASE("strided kernels: + - * / of transposed and sliced operands equal them on contiguous copies") {
  mt::manual_seed(5);
  const mt::Tensor a = mt::randn({6, 8}), b = mt::randn({8, 6}), r = mt::randn({8, 1});
  const mt::Tensor at = a.t(), bs = b.slice(1, 0, 6, 2);  // (8, 6) transposed, (8, 3) every other column
  require_close(at + b, at.contiguous() + b);
  require_close(at * at, at.contiguous() * at.contiguous());
  require_close(at - r, at.contiguous() - r);
  require_close(bs / (at.narrow(1, 0, 3) + 3.0f), bs.contiguous() / (at.narrow(1, 0, 3).contiguous() + 3.0f));
  // every other column of a wide tensor with a scalar: one long run, split among two threads
  const mt::Tensor wide = mt::randn({256, 512}).slice(1, 0, 512, 2);
  const int threads = mt::get_num_threads();
  mt::set_num_threads(2);
  require_close(wide * 2.0f, wide.contiguous() * 2.0f);
  require_close(3.0f - wide, 3.0f - wide.contiguous());
  mt::set_num_threads(threads);
  CHECK((at * 2.0f).strides() == at.strides());  // the output keeps a dense input's layout, as PyTorch
  CHECK(mt::exp(at).strides() == at.strides());
}

TEST_CASE("strided kernels: a one-row matmul (the GEMV path) with a narrowed or transposed right operand") {
  // gemm takes its GEMV path for M == 1 only when B is packed and A's row contiguous; a narrowed B (row stride
  // 9, 5 columns) or an A row with elements 2 apart goes to the strided GEMM instead: each equals the product
  // of contiguous copies.
  mt::manual_seed(5);
  const mt::Tensor x = mt::randn({1, 6}), wide = mt::randn({6, 9}), w = mt::randn({5, 6});
  const mt::Tensor narrowed = wide.narrow(1, 2, 5), col = mt::randn({6, 3}).narrow(1, 1, 1);
  require_close(mt::matmul(x, narrowed), mt::matmul(x, narrowed.contiguous()));
  require_close(mt::matmul(x, w.t()), mt::matmul(x, w.t().contiguous()));
  const mt::Tensor spaced = mt::randn({6, 2}).narrow(1, 0, 1).t();  // (1, 6), its elements 2 apart
  require_close(mt::matmul(spaced, w.t()), mt::matmul(spaced.contiguous(), w.t().contiguous()));
  require_close(mt::matmul(x, col), mt::matmul(x, col.contiguous()));
}

TEST_CASE("strided kernels: a transposed block copied in tiles equals the plain loop, bit for bit") {
  mt::manual_seed(11);
  const std::vector<std::pair<const char*, std::function<mt::Tensor(const mt::Tensor&)>>> layouts = {
      {"t() of (70, 45)", [](const mt::Tensor& x) { return x.narrow(0, 0, 3150).reshape({70, 45}).t(); }},
      {"t() of (64, 64)", [](const mt::Tensor& x) { return x.narrow(0, 0, 4096).reshape({64, 64}).t(); }},
      {"(3, 33, 40) transposed (1, 2)", [](const mt::Tensor& x) { return x.narrow(0, 0, 3960).reshape({3, 33, 40}).transpose(1, 2); }},
      {"t() of a narrowed (70, 45)", [](const mt::Tensor& x) { return x.narrow(0, 0, 3150).reshape({70, 45}).narrow(1, 3, 40).t(); }},
      {"(2, 35, 3, 40) permuted (0, 3, 2, 1)", [](const mt::Tensor& x) {
         return x.narrow(0, 0, 8400).reshape({2, 35, 3, 40}).permute({0, 3, 2, 1}); }},
  };
  const mt::Tensor values = mt::randn({8400}) * 100.0f;
  for (const auto& [name, layout] : layouts)
    for (mt::Dtype dtype : {mt::kFloat32, mt::kFloat64, mt::kInt64, mt::kInt32, mt::kFloat16, mt::kBFloat16, mt::kBool}) {
      INFO(name << " in " << mt::dtype_name(dtype));
      const mt::Tensor src = layout(values.to(dtype));
      mt::Tensor fast = mt::empty(src.shape(), dtype), plain = mt::empty(src.shape(), dtype);
      mt::detail::copy_strided(fast, src);
      mt::detail::copy_strided_plain(plain, src);
      CHECK(fast.to(mt::kFloat64).to_vector<double>() == plain.to(mt::kFloat64).to_vector<double>());
    }
}

TEST_CASE("strided kernels: fill_ of a strided view equals the plain copy of the value's own tensor, bit for bit") {
  // fill_ casts the Scalar once and stores it along each run; the oracle copies a one-element tensor of the
  // Scalar's dtype (float64, int64 or bool) element by element. Elements outside the view keep their value.
  const std::vector<mt::Scalar> values = {2.7, -1.5, 65519.0, 0.1, 3, int64_t{-7}, true, false};
  for (mt::Dtype dtype : {mt::kFloat32, mt::kFloat64, mt::kInt64, mt::kInt32, mt::kFloat16, mt::kBFloat16, mt::kBool})
    for (size_t v = 0; v < values.size(); ++v) {
      INFO(mt::dtype_name(dtype) << ", value " << v);
      const mt::Tensor base = mt::arange(0, 6 * 8).to(dtype).reshape({6, 8});
      mt::Tensor fast = base.clone(), plain = base.clone();
      fast.t().narrow(0, 1, 5).slice(1, 0, 6, 2).fill_(values[v]);  // a transposed, narrowed, stepped view
      mt::detail::copy_strided_plain(plain.t().narrow(0, 1, 5).slice(1, 0, 6, 2), mt::detail::scalar_tensor(values[v]));
      CHECK(fast.to(mt::kFloat64).to_vector<double>() == plain.to(mt::kFloat64).to_vector<double>());
      mt::Tensor whole = base.clone(), whole_plain = base.clone();
      whole.fill_(values[v]);
      mt::detail::copy_strided_plain(whole_plain, mt::detail::scalar_tensor(values[v]));
      CHECK(whole.to(mt::kFloat64).to_vector<double>() == whole_plain.to(mt::kFloat64).to_vector<double>());
    }
}
