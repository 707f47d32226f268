// The bad-input catalogue of the version-2 nn API (modules that hold modules, layer_norm, dropout, gelu,
// scaled_dot_product_attention, cross_entropy over (N, V, d1...)): one row each with the exception type and the
// words its message must contain; after each row the model's parameter names and values are unchanged.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>
#include <functional>

#include "catalogue.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;

namespace {

struct Model : mt::nn::Module {
  mt::nn::LayerNorm ln{mt::nn::LayerNormOptions({4})};
  mt::nn::Linear fc{mt::nn::LinearOptions(4, 4)};
  mt::nn::Dropout drop{mt::nn::DropoutOptions(0.2)};
  Model() { register_module("ln", ln); register_module("fc", fc); register_module("drop", drop); }
  std::vector<std::pair<std::string, std::vector<float>>> state() const {
    std::vector<std::pair<std::string, std::vector<float>>> out;
    for (const auto& [name, t] : named_parameters()) out.emplace_back(name, t.to_vector<float>());
    return out;
  }
};

using catalogue::Throws;
using Rejected = catalogue::Rejected<Model>;

mt::Tensor x4() { return mt::ones({2, 4}); }

std::vector<Rejected> rows() {
  using T = Throws;
  const mt::Tensor q = mt::zeros({2, 3, 4}), k = mt::zeros({2, 5, 4}), v = mt::zeros({2, 5, 6});
  return {
      // --- the module tree ---
      {"register a taken name", T::InvalidArgument, {"register_module", "'fc'", "already registered"},
       [](Model& m) { m.register_module("fc", mt::nn::Linear(mt::nn::LinearOptions(2, 2))); }},
      {"register a parameter under a child's name", T::InvalidArgument, {"register_parameter", "'ln'"},
       [](Model& m) { m.register_parameter("ln", mt::zeros({1})); }},
      {"register an empty name", T::InvalidArgument, {"register_module", "empty"},
       [](Model& m) { m.register_module("", mt::nn::Dropout()); }},
      {"register a module into itself", T::InvalidArgument, {"register_module", "'me'", "cycle"},
       [](Model& m) { m.register_module("me", m); }},
      {"register an ancestor into a child", T::InvalidArgument, {"'up'", "cycle"},
       [](Model& m) { Model copy_of_child_owner = m; m.fc.register_module("up", copy_of_child_owner); }},
      {"register a non-leaf parameter", T::InvalidArgument, {"register_parameter", "'w2'", "leaf"},
       [](Model& m) { m.register_parameter("w2", m.fc.weight * 2.0f); }},
      {"register an undefined parameter", T::InvalidArgument, {"register_parameter", "'u'", "undefined"},
       [](Model& m) { m.register_parameter("u", mt::Tensor()); }},
      {"register an int64 parameter", T::InvalidArgument, {"float32", "int64"},
       [](Model& m) { m.register_parameter("ids", mt::zeros({2}, mt::kInt64)); }},
      // --- layer_norm ---
      {"LayerNorm empty normalized_shape", T::InvalidArgument, {"LayerNorm", "normalized_shape", "[]"},
       [](Model&) { mt::nn::LayerNorm(mt::nn::LayerNormOptions({})); }},
      {"LayerNorm zero dim", T::InvalidArgument, {"LayerNorm", "[4, 0]"},
       [](Model&) { mt::nn::LayerNorm(mt::nn::LayerNormOptions({4, 0})); }},
      {"LayerNorm negative eps", T::InvalidArgument, {"eps", "-1"},
       [](Model&) { mt::nn::LayerNorm(mt::nn::LayerNormOptions({4}).eps(-1.0)); }},
      {"layer_norm input of the wrong width", T::InvalidArgument, {"layer_norm", "[2, 3]", "[4]"},
       [](Model& m) { m.ln(mt::zeros({2, 3})); }},
      {"layer_norm weight of the wrong shape", T::InvalidArgument, {"layer_norm", "weight", "[3]", "[4]"},
       [](Model&) { F::layer_norm(x4(), F::LayerNormFuncOptions({4}).weight(mt::ones({3}))); }},
      {"layer_norm int input", T::InvalidArgument, {"layer_norm", "float32", "int64"},
       [](Model&) { F::layer_norm(mt::zeros({2, 4}, mt::kInt64), F::LayerNormFuncOptions({4})); }},
      // --- dropout, gelu ---
      {"Dropout p > 1", T::InvalidArgument, {"Dropout", "[0, 1]", "1.5"}, [](Model&) { mt::nn::Dropout(mt::nn::DropoutOptions(1.5)); }},
      {"dropout p < 0", T::InvalidArgument, {"dropout", "[0, 1]", "-0.1"},
       [](Model&) { F::dropout(x4(), F::DropoutFuncOptions().p(-0.1)); }},
      {"dropout p NaN in eval too", T::InvalidArgument, {"dropout", "nan"},
       [](Model&) { F::dropout(x4(), F::DropoutFuncOptions().p(std::nan("")).training(false)); }},
      {"gelu unknown approximation", T::InvalidArgument, {"gelu", "\"tanh\"", "\"fast\""},
       [](Model&) { F::gelu(x4(), F::GELUFuncOptions().approximate("fast")); }},
      {"logsigmoid of int64", T::InvalidArgument, {"logsigmoid", "int64"}, [](Model&) { F::logsigmoid(mt::zeros({2}, mt::kInt64)); }},
      // --- scaled_dot_product_attention ---
      {"sdpa dropout_p", T::InvalidArgument, {"scaled_dot_product_attention", "dropout_p", "0.1"},
       [q, k, v](Model&) { F::scaled_dot_product_attention(q, k, v, {}, 0.1); }},
      {"sdpa k of another width", T::InvalidArgument, {"scaled_dot_product_attention", "[2, 3, 4]", "[2, 5, 3]"},
       [q, v](Model&) { F::scaled_dot_product_attention(q, mt::zeros({2, 5, 3}), v); }},
      {"sdpa v with other keys", T::InvalidArgument, {"scaled_dot_product_attention", "[2, 4, 6]"},
       [q, k](Model&) { F::scaled_dot_product_attention(q, k, mt::zeros({2, 4, 6})); }},
      {"sdpa batch dims differ", T::InvalidArgument, {"batch dims", "[3, 5, 4]"},
       [q, v](Model&) { F::scaled_dot_product_attention(q, mt::zeros({3, 5, 4}), v); }},
      {"sdpa 1-D q", T::InvalidArgument, {"q", "(..., T, D)", "[4]"},
       [k, v](Model&) { F::scaled_dot_product_attention(mt::zeros({4}), k, v); }},
      {"sdpa mask that does not broadcast", T::InvalidArgument, {"attn_mask", "[3, 3]", "[2, 3, 5]"},
       [q, k, v](Model&) { F::scaled_dot_product_attention(q, k, v, mt::zeros({3, 3})); }},
      {"sdpa int mask", T::InvalidArgument, {"attn_mask", "float32", "int64"},
       [q, k, v](Model&) { F::scaled_dot_product_attention(q, k, v, mt::zeros({3, 5}, mt::kInt64)); }},
      {"sdpa mask with is_causal", T::InvalidArgument, {"attn_mask", "is_causal"},
       [q, k, v](Model&) { F::scaled_dot_product_attention(q, k, v, mt::zeros({3, 5}), 0.0, true); }},
      {"sdpa mask that requires grad", T::InvalidArgument, {"attn_mask", "requires grad", "detach"},
       [q, k, v](Model&) { F::scaled_dot_product_attention(q, k, v, mt::zeros({3, 5}).requires_grad_(true)); }},
      // --- cross_entropy over (N, V, d1...) ---
      {"nd targets of the wrong shape", T::InvalidArgument, {"cross_entropy", "[2, 3]", "[2, 5, 3]", "[2, 2]"},
       [](Model&) { F::cross_entropy(mt::zeros({2, 5, 3}), mt::zeros({2, 2}, mt::kInt64)); }},
      {"nd target out of range", T::InvalidArgument, {"cross_entropy", "target 5", "position 4", "[0, 5)"},
       [](Model&) { F::cross_entropy(mt::zeros({2, 5, 3}), mt::tensor(std::vector<int64_t>{0, 1, 2, 3, 5, 0}, {2, 3})); }},
  };
}

}  // namespace

TEST_CASE("catalogue nn: every rejected input throws its type, names what was wrong, changes nothing") {
  // A rejected call leaves the model's mode as it was, too.
  catalogue::check_rows(rows(), 0, std::function<void(Model&)>([](Model& m) { CHECK(m.drop.is_training()); }));
}
