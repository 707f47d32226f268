// The nn kinds of the version-2 PyTorch reference cases in $MICROTORCH_SHARED/conformance/v2, run as
// ../shared/contract/v2/conformance_v2.cpp runs them: layer_norm, unary (gelu, gelu_tanh, logsigmoid), the
// F::scaled_dot_product_attention half of causal_attention, cross_entropy_nd. Tolerance as there: 1e-5 relative
// plus 1e-5 scaled by the tensor's largest value.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "conformance.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using conformance::Case;

namespace {

// "" when |got - want| <= atol * max(1, max|want|) + rtol * |want| everywhere, else the first bad element.
std::string off(const mt::Tensor& got, const Case& c, const std::string& name, double rtol = 1e-5, double atol = 1e-5) {
  const conformance::Record& want = c.record(name);
  if (!got.defined()) return name + ": undefined";
  if (got.shape() != want.shape) return name + ": shape " + mt::shape_str(got.shape()) + ", PyTorch " + mt::shape_str(want.shape);
  const auto g = got.to_vector<float>();
  double scale = 1.0;
  for (double w : want.values) scale = std::max(scale, std::fabs(w));
  for (size_t i = 0; i < g.size(); ++i) {
    const double w = want.values[i];
    if (std::isinf(w) && g[i] == w) continue;
    if (!(std::fabs(g[i] - w) <= atol * scale + rtol * std::fabs(w)))
      return name + "[" + std::to_string(i) + "] = " + std::to_string(g[i]) + ", PyTorch " + std::to_string(w);
  }
  return "";
}

mt::Tensor leaf(const Case& c, const std::string& name) { return c.tensor(name).requires_grad_(true); }

// The cases of one kind (option kind K) in the v2 folder; an empty dir (no references) returns none.
std::vector<Case> cases_of(const std::string& dir, const std::string& kind) {
  std::vector<Case> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".txt") continue;
    Case c = conformance::load_case(dir, e.path().stem().string());
    if (c.options.count("kind") && c.options.at("kind") == kind) out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

TEST_CASE("conformance v2: layer_norm") {
  const std::string dir = conformance::shared_dir("conformance/v2");
  if (dir.empty()) return;
  const auto cases = cases_of(dir, "layer_norm");
  REQUIRE(!cases.empty());
  for (const Case& c : cases) {
    INFO("case " << c.name);
    mt::Tensor x = leaf(c, "x"), w, b;
    auto o = F::LayerNormFuncOptions({c.record("x").shape.back()}).eps(c.option("eps"));
    if (c.tensors.count("weight")) o.weight(w = leaf(c, "weight"));
    if (c.tensors.count("b")) o.bias(b = leaf(c, "b"));
    mt::Tensor y = F::layer_norm(x, o);
    y.backward(c.tensor("grad_out"));
    CHECK(off(y, c, "out") == "");
    CHECK(off(x.grad(), c, "x_grad") == "");
    if (w.defined()) CHECK(off(w.grad(), c, "weight_grad") == "");
    if (b.defined()) CHECK(off(b.grad(), c, "b_grad") == "");
  }
}

TEST_CASE("conformance v2: unary gelu, gelu_tanh, logsigmoid") {
  const std::string dir = conformance::shared_dir("conformance/v2");
  if (dir.empty()) return;
  int ran = 0;
  for (const Case& c : cases_of(dir, "unary")) {
    const std::string fn = c.options.at("fn");
    if (fn != "gelu" && fn != "gelu_tanh" && fn != "logsigmoid") continue;  // the others are core ops
    INFO("case " << c.name << " fn " << fn);
    mt::Tensor x = leaf(c, "x");
    mt::Tensor y = fn == "gelu"        ? F::gelu(x)
                   : fn == "gelu_tanh" ? F::gelu(x, F::GELUFuncOptions().approximate("tanh"))
                                       : F::logsigmoid(x);
    y.backward(c.tensor("grad_out"));
    CHECK(off(y, c, "out") == "");
    CHECK(off(x.grad(), c, "x_grad") == "");
    ++ran;
  }
  CHECK(ran >= 1);  // gelu_tanh ships with the contract
}

TEST_CASE("conformance v2: causal_attention through F::scaled_dot_product_attention(is_causal)") {
  const std::string dir = conformance::shared_dir("conformance/v2");
  if (dir.empty()) return;
  const auto cases = cases_of(dir, "causal_attention");
  REQUIRE(!cases.empty());
  for (const Case& c : cases) {
    INFO("case " << c.name);
    mt::Tensor q = leaf(c, "q"), k = leaf(c, "k"), v = leaf(c, "v");
    mt::Tensor y = F::scaled_dot_product_attention(q, k, v, {}, 0.0, true);
    y.backward(c.tensor("grad_out"));
    CHECK(off(y, c, "out") == "");
    CHECK(off(q.grad(), c, "q_grad") == "");
    CHECK(off(k.grad(), c, "k_grad") == "");
    CHECK(off(v.grad(), c, "v_grad") == "");
  }
}

TEST_CASE("conformance v2: cross_entropy_nd, logits (N, V, d1)") {
  const std::string dir = conformance::shared_dir("conformance/v2");
  if (dir.empty()) return;
  const auto cases = cases_of(dir, "cross_entropy_nd");
  REQUIRE(!cases.empty());
  for (const Case& c : cases) {
    INFO("case " << c.name);
    mt::Tensor logits = leaf(c, "logits");
    mt::Tensor loss = F::cross_entropy(logits, c.tensor("targets"));
    loss.backward();
    CHECK(off(loss.view({1}), c, "loss") == "");
    CHECK(off(logits.grad(), c, "logits_grad") == "");
  }
}
