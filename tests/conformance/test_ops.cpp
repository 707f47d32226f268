// PyTorch's reference cases in $MICROTORCH_SHARED/conformance/v2 that need only the tensor ops:
// softmax / log_softmax over a dim, batched matmul, the shape ops, the reductions, the unary ops this library
// core holds (sigmoid, sqrt, rsqrt, pow, abs) and the composed-ops half of causal attention. Each case runs as
// ../shared/contract/v2/conformance_v2.cpp runs it, with its tolerances: |got - want| <= atol * max(1, max|want|)
// + rtol * |want|, atol = rtol = 1e-5 (indices exact). Cases of other kinds (layer_norm, gelu, Adam, ...) are
// left to the tests of the parts that hold them.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>

#include "conformance.h"

namespace mt = microtorch;
using conformance::Case;
using conformance::scaled_mismatch;
using mt::Tensor;

TEST_CASE("conformance v2: softmax and log_softmax over a dim") {
  for (const std::string kind : {"softmax", "log_softmax"}) {
    for (const Case& c : conformance::cases("conformance/v2", {kind}, kind == "softmax")) {  // softmax_dim1.txt; log_softmax if any
      INFO("case " << c.name);
      Tensor x = c.leaf("x");
      const auto dim = static_cast<int64_t>(c.option("dim"));
      Tensor y = kind == "softmax" ? mt::softmax(x, dim) : mt::log_softmax(x, dim);
      y.backward(c.tensor("grad_out"));
      CHECK(scaled_mismatch(y, c.record("out"), "out") == "");
      CHECK(scaled_mismatch(x.grad(), c.record("x_grad"), "x_grad") == "");
    }
  }
}

TEST_CASE("conformance v2: matmul with broadcast batch dims") {
  for (const Case& c : conformance::cases("conformance/v2", {"matmul"})) {
    INFO("case " << c.name);
    Tensor a = c.leaf("a"), b = c.leaf("b");
    Tensor y = mt::matmul(a, b);
    y.backward(c.tensor("grad_out"));
    CHECK(scaled_mismatch(y, c.record("out"), "out") == "");
    CHECK(scaled_mismatch(a.grad(), c.record("a_grad"), "a_grad") == "");
    CHECK(scaled_mismatch(b.grad(), c.record("b_grad"), "b_grad") == "");
  }
}

TEST_CASE("conformance v2: cat, split, stack, narrow, permute, unsqueeze, select, transpose") {
  for (const Case& c : conformance::cases("conformance/v2", {"shape_ops"})) {
    INFO("case " << c.name);
    Tensor a = c.leaf("a"), b = c.leaf("b");
    Tensor cat = mt::cat({a, b}, 1);
    auto parts = cat.split(6, 1);
    Tensor st = mt::stack({parts[1], parts[1] * 2.0f}, 0);
    Tensor n = cat.narrow(2, 1, 2).permute({2, 0, 1});
    Tensor sel = cat.select(1, -1);
    Tensor y = (parts[0] * 1.5f).sum() + mt::pow(st, 2.0).sum() + (n.unsqueeze(0) * 3.0f).sum() +
               mt::pow(sel.transpose(0, 1), 3.0).sum();
    y.backward();
    CHECK(scaled_mismatch(cat, c.record("cat"), "cat") == "");
    CHECK(scaled_mismatch(y.reshape({1}), c.record("loss"), "loss") == "");
    CHECK(scaled_mismatch(a.grad(), c.record("a_grad"), "a_grad") == "");
    CHECK(scaled_mismatch(b.grad(), c.record("b_grad"), "b_grad") == "");
  }
}

TEST_CASE("conformance v2: var, max, topk, mean over a dim") {
  for (const Case& c : conformance::cases("conformance/v2", {"reduce"})) {
    INFO("case " << c.name);
    Tensor x = c.leaf("x");
    Tensor var = x.var(2, false, true);
    auto [mx, amx] = mt::max(x, 1);
    auto [tv, ti] = mt::topk(x, 2, -1);
    Tensor y = (var * 2.0f).sum() + mt::pow(mx, 2.0).sum() + tv.sum() + mt::pow(x.mean(0, false), 2.0).sum();
    y.backward();
    CHECK(scaled_mismatch(var, c.record("var"), "var") == "");
    CHECK(scaled_mismatch(mx, c.record("max"), "max") == "");
    CHECK(scaled_mismatch(amx, c.record("argmax"), "argmax", 0, 0) == "");
    CHECK(scaled_mismatch(tv, c.record("topk_values"), "topk values") == "");
    CHECK(scaled_mismatch(ti, c.record("topk_indices"), "topk indices", 0, 0) == "");
    CHECK(scaled_mismatch(y.reshape({1}), c.record("loss"), "loss") == "");
    CHECK(scaled_mismatch(x.grad(), c.record("x_grad"), "x_grad") == "");
  }
}

TEST_CASE("conformance v2: unary sigmoid, sqrt, rsqrt, pow, abs") {
  int ran = 0;
  const auto cases = conformance::cases("conformance/v2", {"unary"});
  for (const Case& c : cases) {
    const std::string fn = c.options.at("fn");
    INFO("case " << c.name << " fn " << fn);
    Tensor x = c.leaf("x"), y;
    if (fn == "sigmoid") y = mt::sigmoid(x);
    else if (fn == "sqrt") y = mt::sqrt(mt::abs(x) + 0.1f);
    else if (fn == "rsqrt") y = mt::rsqrt(mt::abs(x) + 0.1f);
    else if (fn == "pow3") y = mt::pow(x, 3.0);
    else if (fn == "abs") y = mt::abs(x);
    else continue;  // gelu, logsigmoid: nn's functional ops, tested there
    ++ran;
    y.backward(c.tensor("grad_out"));
    CHECK(scaled_mismatch(y, c.record("out"), "out") == "");
    CHECK(scaled_mismatch(x.grad(), c.record("x_grad"), "x_grad") == "");
  }
  if (!cases.empty()) CHECK(ran >= 1);  // sigmoid.txt at least
}

TEST_CASE("conformance v2: causal attention composed of matmul, transpose, masked_fill, tril, softmax") {
  for (const Case& c : conformance::cases("conformance/v2", {"causal_attention"})) {
    INFO("case " << c.name);
    Tensor q = c.leaf("q"), k = c.leaf("k"), v = c.leaf("v");
    const int64_t T = q.shape()[q.dim() - 2], D = q.shape().back();
    Tensor att = mt::matmul(q, k.transpose(-2, -1)) * float(1.0 / std::sqrt(double(D)));
    att = att.masked_fill(mt::tril(mt::ones({T, T})) == 0, -INFINITY);
    Tensor y = mt::matmul(mt::softmax(att, -1), v);
    y.backward(c.tensor("grad_out"));
    CHECK(scaled_mismatch(y, c.record("out"), "out") == "");
    CHECK(scaled_mismatch(q.grad(), c.record("q_grad"), "q_grad") == "");
    CHECK(scaled_mismatch(k.grad(), c.record("k_grad"), "k_grad") == "");
    CHECK(scaled_mismatch(v.grad(), c.record("v_grad"), "v_grad") == "");
  }
}
