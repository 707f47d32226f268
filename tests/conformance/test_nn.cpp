// The nn kinds of PyTorch's reference cases in $MICROTORCH_SHARED/conformance/v2, run as
// ../shared/contract/v2/conformance_v2.cpp runs them: layer_norm, unary (gelu, gelu_tanh, logsigmoid), the
// F::scaled_dot_product_attention half of causal_attention, cross_entropy_nd. Tolerance as there: 1e-5 relative
// plus 1e-5 scaled by the tensor's largest value.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include "conformance.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using conformance::Case;
using conformance::scaled_mismatch;

TEST_CASE("conformance v2: layer_norm") {
  for (const Case& c : conformance::cases("conformance/v2", {"layer_norm"})) {
    INFO("case " << c.name);
    mt::Tensor x = c.leaf("x"), w, b;
    auto o = F::LayerNormFuncOptions({c.record("x").shape.back()}).eps(c.option("eps"));
    if (c.tensors.count("weight")) o.weight(w = c.leaf("weight"));
    if (c.tensors.count("b")) o.bias(b = c.leaf("b"));
    mt::Tensor y = F::layer_norm(x, o);
    y.backward(c.tensor("grad_out"));
    CHECK(scaled_mismatch(y, c.record("out"), "out") == "");
    CHECK(scaled_mismatch(x.grad(), c.record("x_grad"), "x_grad") == "");
    if (w.defined()) CHECK(scaled_mismatch(w.grad(), c.record("weight_grad"), "weight_grad") == "");
    if (b.defined()) CHECK(scaled_mismatch(b.grad(), c.record("b_grad"), "b_grad") == "");
  }
}

TEST_CASE("conformance v2: unary gelu, gelu_tanh, logsigmoid") {
  int ran = 0;
  const auto cases = conformance::cases("conformance/v2", {"unary"});
  for (const Case& c : cases) {
    const std::string fn = c.options.at("fn");
    if (fn != "gelu" && fn != "gelu_tanh" && fn != "logsigmoid") continue;  // the others are core ops
    INFO("case " << c.name << " fn " << fn);
    mt::Tensor x = c.leaf("x");
    mt::Tensor y = fn == "gelu"        ? F::gelu(x)
                   : fn == "gelu_tanh" ? F::gelu(x, F::GELUFuncOptions().approximate("tanh"))
                                       : F::logsigmoid(x);
    y.backward(c.tensor("grad_out"));
    CHECK(scaled_mismatch(y, c.record("out"), "out") == "");
    CHECK(scaled_mismatch(x.grad(), c.record("x_grad"), "x_grad") == "");
    ++ran;
  }
  if (!cases.empty()) CHECK(ran >= 1);  // gelu_tanh ships with the contract
}

TEST_CASE("conformance v2: causal_attention through F::scaled_dot_product_attention(is_causal)") {
  for (const Case& c : conformance::cases("conformance/v2", {"causal_attention"})) {
    INFO("case " << c.name);
    mt::Tensor q = c.leaf("q"), k = c.leaf("k"), v = c.leaf("v");
    mt::Tensor y = F::scaled_dot_product_attention(q, k, v, {}, 0.0, true);
    y.backward(c.tensor("grad_out"));
    CHECK(scaled_mismatch(y, c.record("out"), "out") == "");
    CHECK(scaled_mismatch(q.grad(), c.record("q_grad"), "q_grad") == "");
    CHECK(scaled_mismatch(k.grad(), c.record("k_grad"), "k_grad") == "");
    CHECK(scaled_mismatch(v.grad(), c.record("v_grad"), "v_grad") == "");
  }
}

TEST_CASE("conformance v2: cross_entropy_nd, logits (N, V, d1)") {
  for (const Case& c : conformance::cases("conformance/v2", {"cross_entropy_nd"})) {
    INFO("case " << c.name);
    mt::Tensor logits = c.leaf("logits");
    mt::Tensor loss = F::cross_entropy(logits, c.tensor("targets"));
    loss.backward();
    CHECK(scaled_mismatch(loss.view({1}), c.record("loss"), "loss") == "");
    CHECK(scaled_mismatch(logits.grad(), c.record("logits_grad"), "logits_grad") == "");
  }
}
