// nn's functional ops in float64: forward values against PyTorch 1.13 (float64, the same inputs: sin-made
// values below, printed with repr) and gradients against central finite differences in float64.
#include "../helpers.h"

namespace {

namespace mt = microtorch;
namespace F = mt::nn::functional;
using helpers::Inputs;
using helpers::require_gradcheck;

// n values sin(a i + b) * s, float64, as the Python script that made the numbers below.
mt::Tensor sinv(int64_t n, double a = 0.7, double b = 0.3, double s = 1.5, const mt::Shape& shape = {}) {
  std::vector<double> v;
  for (int64_t i = 0; i < n; ++i) v.push_back(std::sin(a * static_cast<double>(i) + b) * s);
  return mt::tensor(v, shape.empty() ? mt::Shape{n} : shape);
}
mt::Tensor leaf64(mt::Tensor t) { return t.detach().requires_grad_(true); }

// Every value within 1e-12 of PyTorch's float64 number (relative to its size), and the dtype float64.
void require_f64(const mt::Tensor& got, const std::vector<double>& want) {
  REQUIRE(got.dtype() == mt::kFloat64);
  const std::vector<double> g = got.to_vector<double>();
  REQUIRE(g.size() == want.size());
  for (size_t i = 0; i < g.size(); ++i) {
    INFO("index " << i << ": got " << g[i] << ", want " << want[i]);
    REQUIRE(std::fabs(g[i] - want[i]) <= 1e-12 * (1.0 + std::fabs(want[i])));
  }
}

mt::Tensor ids(const std::vector<int64_t>& v) { return mt::tensor(v, {static_cast<int64_t>(v.size())}); }

}  // namespace

TEST_CASE("float64 activations: gelu (both forms) and logsigmoid match PyTorch and finite differences", "[nn][float64]") {
  const mt::Tensor x = sinv(6);
  require_f64(F::gelu(x), {0.2975379456462878, 1.1316473111592151, 1.3856902748181938, 0.8556596319125089,
                           0.03273643286123546, -0.1646190539601929});
  require_f64(F::gelu(x, F::GELUFuncOptions().approximate("tanh")),
              {0.2975268864158451, 1.13142176486828, 1.3854697783523298, 0.8555022570464837, 0.03273642789435411,
               -0.16474269604027822});
  require_f64(F::logsigmoid(x), {-0.49587070021035196, -0.24922356420969785, -0.2037057930926853,
                                 -0.30973014752944017, -0.6624478725427939, -1.2538318429473851});
  require_gradcheck("gelu f64", [](const Inputs& in) { return F::gelu(in[0]); }, {leaf64(x)});
  require_gradcheck("gelu_tanh f64", [](const Inputs& in) { return F::gelu(in[0], F::GELUFuncOptions().approximate("tanh")); },
                    {leaf64(x)});
  require_gradcheck("logsigmoid f64", [](const Inputs& in) { return F::logsigmoid(in[0]); }, {leaf64(x * 4.0)});
}

TEST_CASE("float64 layer_norm and linear match PyTorch and finite differences", "[nn][float64]") {
  const mt::Tensor x = sinv(8, 0.7, 0.3, 1.5, {2, 4}), w = sinv(4, 0.9, 0.1, 1.0), b = sinv(4, 1.3, 0.2, 0.5);
  auto ln = [](const Inputs& in) { return F::layer_norm(in[0], F::LayerNormFuncOptions({4}).weight(in[1]).bias(in[2])); };
  require_f64(ln({x, w, b}), {-0.05668787792063029, 0.9542008780886408, 1.2274482902060437, -0.4421460810454449,
                              0.262125073332406, 0.4902062603762152, -0.7109996435076796, -0.6409919794261272});
  require_gradcheck("layer_norm f64", ln, {leaf64(x), leaf64(w), leaf64(b)});

  const mt::Tensor xl = sinv(6, 0.7, 0.3, 1.5, {2, 3}), W = sinv(6, 1.1, 0.5, 1.0, {2, 3}), bl = sinv(2, 0.4, 0.4, 1.0);
  auto lin = [](const Inputs& in) { return F::linear(in[0], in[1], in[2]); };
  require_f64(lin({xl, W, bl}), {2.4993329017730956, -1.2095562914651343, 0.5452705616443274, 0.29259219578099});
  require_gradcheck("linear f64", lin, {leaf64(xl), leaf64(W), leaf64(bl)});
  require_gradcheck("linear f64 (B, T, C)", lin, {leaf64(sinv(12, 0.3, 0.1, 1.0, {2, 2, 3})), leaf64(W), leaf64(bl)});
}

TEST_CASE("float64 cross_entropy and nll_loss: reductions, label smoothing, class weights, ignore_index", "[nn][float64]") {
  const mt::Tensor L = sinv(12, 0.37, 0.1, 2.0, {3, 4}), t = ids({0, 3, 1});
  const mt::Tensor cw = mt::tensor(std::vector<double>{0.5, 1.0, 2.0, 1.5}, {4});
  auto ce = [t](F::CrossEntropyFuncOptions o) { return [t, o](const Inputs& in) { return F::cross_entropy(in[0], t, o); }; };
  const auto plain = ce({}), smooth = ce(F::CrossEntropyFuncOptions().weight(cw).label_smoothing(0.1));
  const auto ignore_sum = ce(F::CrossEntropyFuncOptions().ignore_index(3).reduction(mt::kSum));
  require_f64(plain({L}), {1.9989571265822839});
  require_f64(smooth({L}), {1.9498706957483187});
  require_f64(ignore_sum({L}), {3.848384807376015});
  require_f64(F::nll_loss(mt::log_softmax(L, 1), t, F::NLLLossFuncOptions().weight(cw)), {1.943193245739231});
  require_gradcheck("cross_entropy f64", plain, {leaf64(L)});
  require_gradcheck("cross_entropy f64 smooth weight", smooth, {leaf64(L)});
  require_gradcheck("cross_entropy f64 ignore sum", ignore_sum, {leaf64(L)});
  require_gradcheck("cross_entropy f64 none (N, V, d)",
                    [](const Inputs& in) {
                      return F::cross_entropy(in[0], mt::tensor(std::vector<int64_t>{0, 2, 1, 1}, {2, 2}),
                                              F::CrossEntropyFuncOptions().reduction(mt::kNone));
                    },
                    {leaf64(sinv(12, 0.5, 0.2, 1.0, {2, 3, 2}))});
  require_gradcheck("nll_loss f64 weight",
                    [t, cw](const Inputs& in) { return F::nll_loss(in[0], t, F::NLLLossFuncOptions().weight(cw)); },
                    {leaf64(L)});
}

TEST_CASE("float64 regression and binary losses match PyTorch and finite differences", "[nn][float64]") {
  const mt::Tensor a = sinv(6), b = sinv(6, 0.5, 1.0, 1.0);
  const mt::Tensor p = mt::sigmoid(a), q = mt::sigmoid(b);
  require_f64(F::mse_loss(a, b), {0.17710538988212277});
  require_f64(F::l1_loss(a, b), {0.3835962006889763});
  require_f64(F::binary_cross_entropy(p, q), {0.6542236570461392});
  require_f64(F::binary_cross_entropy_with_logits(a, q), {0.6542236570461392});
  require_gradcheck("mse f64", [](const Inputs& in) { return F::mse_loss(in[0], in[1]); }, {leaf64(a), leaf64(b)});
  require_gradcheck("l1 f64", [](const Inputs& in) { return F::l1_loss(in[0], in[1]); }, {leaf64(a), leaf64(b)});
  require_gradcheck("bce f64", [](const Inputs& in) { return F::binary_cross_entropy(in[0], in[1]); }, {leaf64(p), leaf64(q)});
  require_gradcheck("bce_with_logits f64", [](const Inputs& in) { return F::binary_cross_entropy_with_logits(in[0], in[1]); },
                    {leaf64(a), leaf64(q)});
}

TEST_CASE("float64 scaled_dot_product_attention (causal, bool mask) and batch_norm", "[nn][float64]") {
  const mt::Tensor Q = sinv(6, 0.3, 0.2, 1.0, {1, 3, 2}), K = sinv(6, 0.8, 0.1, 1.0, {1, 3, 2});
  const mt::Tensor V = sinv(6, 0.45, 0.7, 1.0, {1, 3, 2});
  auto causal = [](const Inputs& in) { return F::scaled_dot_product_attention(in[0], in[1], in[2], {}, 0.0, true); };
  require_f64(causal({Q, K, V}), {0.644217687237691, 0.912763940260521, 0.8514581371608644, 0.8979499667239961,
                                  0.8398317679929016, 0.8309312151419854});
  require_gradcheck("sdpa f64 causal", causal, {leaf64(Q), leaf64(K), leaf64(V)});
  const mt::Tensor keep = mt::tensor(std::vector<int64_t>{1, 0, 1, 1, 1, 0, 0, 1, 1}, {3, 3}).to(mt::kBool);
  auto masked = [keep](const Inputs& in) { return F::scaled_dot_product_attention(in[0], in[1], in[2], keep); };
  require_gradcheck("sdpa f64 bool mask", masked, {leaf64(Q), leaf64(K), leaf64(V)});

  const mt::Tensor x = sinv(12, 0.6, 0.2, 1.0, {4, 3}), w = sinv(3, 0.9, 0.1, 1.0), b = sinv(3, 1.3, 0.2, 0.5);
  mt::Tensor rm = mt::zeros({3}, mt::kFloat64), rv = mt::ones({3}, mt::kFloat64);
  require_f64(F::batch_norm(x, rm, rv, F::BatchNormFuncOptions().weight(w).bias(b).training(true)),
              {0.13563761116079745, 1.3650730744013402, 1.3077062792620058, 0.24661597015855619, 1.1032161035139463,
               -0.06050064914687527, 0.009058066256910883, -0.7999906484856122, -1.2409094904427673,
               0.006027014013857882, 0.3266914437784345, 0.6636801606394462});
  require_f64(rv, {0.9544864018150436, 0.956099144729621, 0.969492677486462});
  require_gradcheck("batch_norm f64 training",
                    [](const Inputs& in) {
                      return F::batch_norm(in[0], {}, {}, F::BatchNormFuncOptions().weight(in[1]).bias(in[2]).training(true));
                    },
                    {leaf64(x), leaf64(w), leaf64(b)});
  require_gradcheck("batch_norm f64 eval",
                    [rm, rv](const Inputs& in) {
                      return F::batch_norm(in[0], rm, rv, F::BatchNormFuncOptions().weight(in[1]).bias(in[2]));
                    },
                    {leaf64(x), leaf64(w), leaf64(b)});
}

TEST_CASE("float64 embedding: gather, row backward with padding_idx and scale_grad_by_freq, max_norm", "[nn][float64]") {
  const mt::Tensor W = sinv(15, 0.7, 0.3, 1.5, {5, 3});
  const mt::Tensor id = ids({1, 4, 1, 0, 2});
  const mt::Tensor out = F::embedding(id, W);
  REQUIRE(out.dtype() == mt::kFloat64);
  const std::vector<double> w = W.to_vector<double>(), o = out.to_vector<double>();
  const std::vector<int64_t> rows{1, 4, 1, 0, 2};
  for (size_t k = 0; k < rows.size(); ++k)
    for (int64_t j = 0; j < 3; ++j) REQUIRE(o[k * 3 + j] == w[rows[k] * 3 + j]);  // the rows themselves, bit for bit
  const mt::Tensor R = sinv(15, 0.2, 0.0, 1.0, {5, 3});  // a weighting of the output rows
  require_gradcheck("embedding f64", [id, R](const Inputs& in) { return F::embedding(id, in[0]) * R; }, {leaf64(W)});
  // padding_idx and scale_grad_by_freq change the gradient on purpose (not a derivative): the plain one with the
  // padding row zeroed, each row divided by its id's count
  auto grad_of = [&](const F::EmbeddingFuncOptions& o) {
    mt::Tensor Wl = leaf64(W);
    (F::embedding(id, Wl, o) * R).sum().backward();
    return Wl.grad().to_vector<double>();
  };
  const std::vector<double> plain = grad_of({}), padded = grad_of(F::EmbeddingFuncOptions().padding_idx(1));
  const std::vector<double> scaled = grad_of(F::EmbeddingFuncOptions().scale_grad_by_freq(true));
  const double count[5] = {1, 2, 1, 1, 1};  // ids {1, 4, 1, 0, 2}: row 1 twice, row 3 never
  for (int64_t r = 0; r < 5; ++r)
    for (int64_t j = 0; j < 3; ++j) {
      REQUIRE(padded[r * 3 + j] == (r == 1 ? 0.0 : plain[r * 3 + j]));
      REQUIRE(scaled[r * 3 + j] == Approx(plain[r * 3 + j] / count[r]).epsilon(1e-15));
    }
  REQUIRE(plain[3 * 3] == 0.0);  // row 3 was not looked up
  // max_norm renormalises the looked-up rows in place to norm max_norm / (norm + 1e-7) * norm
  mt::Tensor Wn = W.clone();
  F::embedding(ids({0, 3}), Wn, F::EmbeddingFuncOptions().max_norm(0.5));
  for (int64_t r : {0, 3}) {
    const mt::Tensor row = Wn.select(0, r);
    REQUIRE(std::sqrt((row * row).sum().item<double>()) <= 0.5);
  }
  REQUIRE(Wn.select(0, 1).to_vector<double>() == W.select(0, 1).to_vector<double>());
  REQUIRE_THROWS_WITH(F::embedding(id, W, F::EmbeddingFuncOptions().sparse(true)),
                      Catch::Contains("sparse gradients are float32 only"));
}

TEST_CASE("float64 dropout: identity when p = 0 or eval, the kept values scaled by 1 / (1 - p)", "[nn][float64]") {
  const mt::Tensor x = sinv(1000);
  REQUIRE(F::dropout(x, F::DropoutFuncOptions().p(0.0).training(true)).is_same(x));
  REQUIRE(F::dropout(x, F::DropoutFuncOptions().p(0.5).training(false)).is_same(x));
  mt::manual_seed(7);
  mt::Tensor xl = leaf64(x);
  const mt::Tensor y = F::dropout(xl, F::DropoutFuncOptions().p(0.25).training(true));
  REQUIRE(y.dtype() == mt::kFloat64);
  y.sum().backward();
  const std::vector<double> xv = x.to_vector<double>(), yv = y.to_vector<double>(), gv = xl.grad().to_vector<double>();
  int64_t kept = 0;
  for (size_t i = 0; i < xv.size(); ++i) {
    const bool k = gv[i] != 0.0;
    kept += k;
    REQUIRE(gv[i] == (k ? 1.0 / 0.75 : 0.0));              // dx = dy * factor
    REQUIRE(yv[i] == (k ? xv[i] * (1.0 / 0.75) : 0.0));    // y = x * factor, in double
  }
  REQUIRE(kept > 650);
  REQUIRE(kept < 850);
  mt::manual_seed(7);  // the same mask as float32 for the same seed
  const mt::Tensor y32 = F::dropout(x.to(mt::kFloat32), F::DropoutFuncOptions().p(0.25).training(true));
  const std::vector<float> y32v = y32.to_vector<float>();
  for (size_t i = 0; i < xv.size(); ++i) REQUIRE((y32v[i] != 0.0f) == (gv[i] != 0.0));
}
