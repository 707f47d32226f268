// PyTorch's reference cases of API version 2 ($MICROTORCH_SHARED/conformance/v2) that need only the tensor ops:
// softmax / log_softmax over a dim, batched matmul, the shape ops, the reductions, the unary ops this library
// core holds (sigmoid, sqrt, rsqrt, pow, abs) and the composed-ops half of causal attention. Each case runs as
// ../shared/contract/v2/conformance_v2.cpp runs it, with its tolerances: |got - want| <= atol * max(1, max|want|)
// + rtol * |want|, atol = rtol = 1e-5 (indices exact). Cases of other kinds (layer_norm, gelu, Adam, ...) are
// left to the tests of the parts that hold them.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "conformance.h"

namespace mt = microtorch;
using conformance::Case;
using mt::Tensor;

namespace {

// "" when got matches want as conformance_v2.cpp's expect() wants it, else what differs first.
std::string differs(const Tensor& got, const conformance::Record& want, const std::string& what, double rtol = 1e-5,
                    double atol = 1e-5) {
  if (!got.defined()) return what + ": undefined";
  if (got.shape() != want.shape) return what + ": shape " + mt::shape_str(got.shape()) + ", PyTorch " + mt::shape_str(want.shape);
  std::vector<double> g;
  if (got.dtype() == mt::kInt64) for (int64_t v : got.to_vector<int64_t>()) g.push_back(static_cast<double>(v));
  else for (float v : got.to_vector<float>()) g.push_back(v);
  double scale = 0;
  for (double w : want.values) scale = std::max(scale, std::fabs(w));
  for (size_t i = 0; i < g.size(); ++i) {
    const double w = want.values[i], d = std::fabs(g[i] - w);
    if (std::isinf(w) && g[i] == w) continue;
    if (!(d <= atol * std::max(1.0, scale) + rtol * std::fabs(w)))
      return what + "[" + std::to_string(i) + "] = " + std::to_string(g[i]) + ", PyTorch " + std::to_string(w);
  }
  return "";
}

// The v2 cases of `kind` (read from each file's `option kind`), sorted by name; none when the folder is absent.
std::vector<Case> cases_of(const std::string& kind, bool required = true) {
  std::vector<Case> out;
  const std::string dir = conformance::shared_dir("conformance/v2");
  if (dir.empty()) return out;
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".txt") names.insert(e.path().stem().string());
  for (const auto& name : names) {
    Case c = conformance::load_case(dir, name);
    if (c.options.count("kind") && c.options.at("kind") == kind) out.push_back(c);
  }
  if (out.empty() && required) FAIL("no case of kind " << kind << " in " << dir);
  return out;
}

Tensor leaf(const Case& c, const std::string& name) { return c.tensor(name).requires_grad_(true); }

}  // namespace

TEST_CASE("conformance v2: softmax and log_softmax over a dim") {
  for (const std::string kind : {"softmax", "log_softmax"}) {
    for (const Case& c : cases_of(kind, kind == "softmax")) {  // softmax_dim1.txt; log_softmax if any
      INFO("case " << c.name);
      Tensor x = leaf(c, "x");
      const auto dim = static_cast<int64_t>(c.option("dim"));
      Tensor y = kind == "softmax" ? mt::softmax(x, dim) : mt::log_softmax(x, dim);
      y.backward(c.tensor("grad_out"));
      CHECK(differs(y, c.record("out"), "out") == "");
      CHECK(differs(x.grad(), c.record("x_grad"), "x_grad") == "");
    }
  }
}

TEST_CASE("conformance v2: matmul with broadcast batch dims") {
  for (const Case& c : cases_of("matmul")) {
    INFO("case " << c.name);
    Tensor a = leaf(c, "a"), b = leaf(c, "b");
    Tensor y = mt::matmul(a, b);
    y.backward(c.tensor("grad_out"));
    CHECK(differs(y, c.record("out"), "out") == "");
    CHECK(differs(a.grad(), c.record("a_grad"), "a_grad") == "");
    CHECK(differs(b.grad(), c.record("b_grad"), "b_grad") == "");
  }
}

TEST_CASE("conformance v2: cat, split, stack, narrow, permute, unsqueeze, select, transpose") {
  for (const Case& c : cases_of("shape_ops")) {
    INFO("case " << c.name);
    Tensor a = leaf(c, "a"), b = leaf(c, "b");
    Tensor cat = mt::cat({a, b}, 1);
    auto parts = cat.split(6, 1);
    Tensor st = mt::stack({parts[1], parts[1] * 2.0f}, 0);
    Tensor n = cat.narrow(2, 1, 2).permute({2, 0, 1});
    Tensor sel = cat.select(1, -1);
    Tensor y = (parts[0] * 1.5f).sum() + mt::pow(st, 2.0).sum() + (n.unsqueeze(0) * 3.0f).sum() +
               mt::pow(sel.transpose(0, 1), 3.0).sum();
    y.backward();
    CHECK(differs(cat, c.record("cat"), "cat") == "");
    CHECK(differs(y.reshape({1}), c.record("loss"), "loss") == "");
    CHECK(differs(a.grad(), c.record("a_grad"), "a_grad") == "");
    CHECK(differs(b.grad(), c.record("b_grad"), "b_grad") == "");
  }
}

TEST_CASE("conformance v2: var, max, topk, mean over a dim") {
  for (const Case& c : cases_of("reduce")) {
    INFO("case " << c.name);
    Tensor x = leaf(c, "x");
    Tensor var = x.var(2, false, true);
    auto [mx, amx] = mt::max(x, 1);
    auto [tv, ti] = mt::topk(x, 2, -1);
    Tensor y = (var * 2.0f).sum() + mt::pow(mx, 2.0).sum() + tv.sum() + mt::pow(x.mean(0, false), 2.0).sum();
    y.backward();
    CHECK(differs(var, c.record("var"), "var") == "");
    CHECK(differs(mx, c.record("max"), "max") == "");
    CHECK(differs(amx, c.record("argmax"), "argmax", 0, 0) == "");
    CHECK(differs(tv, c.record("topk_values"), "topk values") == "");
    CHECK(differs(ti, c.record("topk_indices"), "topk indices", 0, 0) == "");
    CHECK(differs(y.reshape({1}), c.record("loss"), "loss") == "");
    CHECK(differs(x.grad(), c.record("x_grad"), "x_grad") == "");
  }
}

TEST_CASE("conformance v2: unary sigmoid, sqrt, rsqrt, pow, abs") {
  int ran = 0;
  for (const Case& c : cases_of("unary")) {
    const std::string fn = c.options.at("fn");
    INFO("case " << c.name << " fn " << fn);
    Tensor x = leaf(c, "x"), y;
    if (fn == "sigmoid") y = mt::sigmoid(x);
    else if (fn == "sqrt") y = mt::sqrt(mt::abs(x) + 0.1f);
    else if (fn == "rsqrt") y = mt::rsqrt(mt::abs(x) + 0.1f);
    else if (fn == "pow3") y = mt::pow(x, 3.0);
    else if (fn == "abs") y = mt::abs(x);
    else continue;  // gelu, logsigmoid: nn's functional ops, tested there
    ++ran;
    y.backward(c.tensor("grad_out"));
    CHECK(differs(y, c.record("out"), "out") == "");
    CHECK(differs(x.grad(), c.record("x_grad"), "x_grad") == "");
  }
  if (!conformance::shared_dir("conformance/v2").empty()) CHECK(ran >= 1);  // sigmoid.txt at least
}

TEST_CASE("conformance v2: causal attention composed of matmul, transpose, masked_fill, tril, softmax") {
  for (const Case& c : cases_of("causal_attention")) {
    INFO("case " << c.name);
    Tensor q = leaf(c, "q"), k = leaf(c, "k"), v = leaf(c, "v");
    const int64_t T = q.shape()[q.dim() - 2], D = q.shape().back();
    Tensor att = mt::matmul(q, k.transpose(-2, -1)) * float(1.0 / std::sqrt(double(D)));
    att = att.masked_fill(mt::tril(mt::ones({T, T})) == 0, -INFINITY);
    Tensor y = mt::matmul(mt::softmax(att, -1), v);
    y.backward(c.tensor("grad_out"));
    CHECK(differs(y, c.record("out"), "out") == "");
    CHECK(differs(q.grad(), c.record("q_grad"), "q_grad") == "");
    CHECK(differs(k.grad(), c.record("k_grad"), "k_grad") == "");
    CHECK(differs(v.grad(), c.record("v_grad"), "v_grad") == "");
  }
}
