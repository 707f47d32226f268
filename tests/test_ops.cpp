// Every op in core/ops.h: forward values against hand-derived numbers, gradients against central finite
// differences (autograd::gradcheck), and broadcasting gradients against hand-derived sums.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>
#include <functional>

namespace mt = microtorch;
using Inputs = std::vector<mt::Tensor>;

namespace {

void require_values(const mt::Tensor& t, const std::vector<float>& want, double margin = 1e-5) {
  const std::vector<float> got = t.to_vector<float>();
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("flat index " << i);
    REQUIRE(got[i] == Approx(want[i]).margin(margin));
  }
}

void require_gradcheck(const std::string& op, const std::function<mt::Tensor(const Inputs&)>& f, const Inputs& xs) {
  const mt::autograd::GradcheckResult result = mt::autograd::gradcheck(f, xs, op);
  INFO(result.message());
  REQUIRE(result.ok);
}

// A leaf of random values in [lo, hi), requiring grad.
mt::Tensor leaf(const mt::Shape& shape, float lo = -1.0f, float hi = 1.0f) {
  return (mt::rand(shape) * (hi - lo) + lo).detach().requires_grad_(true);
}

mt::Tensor A() { return mt::tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}); }
mt::Tensor B() { return mt::tensor(std::vector<float>{0.5f, -1, 2, 3, 0.25f, -2}, {2, 3}); }

}  // namespace

TEST_CASE("add, sub, mul, div, neg: values") {
  require_values(A() + B(), {1.5f, 1, 5, 7, 5.25f, 4});
  require_values(A() - B(), {0.5f, 3, 1, 1, 4.75f, 8});
  require_values(A() * B(), {0.5f, -2, 6, 12, 1.25f, -12});
  require_values(A() / B(), {2, -2, 1.5f, 4.0f / 3.0f, 20, -3});
  require_values(mt::add(A(), B()), (A() + B()).to_vector<float>());
  require_values(mt::sub(A(), B()), (A() - B()).to_vector<float>());
  require_values(mt::mul(A(), B()), (A() * B()).to_vector<float>());
  require_values(mt::div(A(), B()), (A() / B()).to_vector<float>());
  require_values(mt::neg(A()), {-1, -2, -3, -4, -5, -6});
  require_values(-A(), {-1, -2, -3, -4, -5, -6});
  REQUIRE((A() + B()).shape() == mt::Shape{2, 3});
}

TEST_CASE("binary ops: gradcheck") {
  mt::manual_seed(10);
  const Inputs ab{leaf({2, 3}), leaf({2, 3})};
  require_gradcheck("add", [](const Inputs& x) { return x[0] + x[1]; }, ab);
  require_gradcheck("sub", [](const Inputs& x) { return x[0] - x[1]; }, ab);
  require_gradcheck("mul", [](const Inputs& x) { return x[0] * x[1]; }, ab);
  require_gradcheck("div", [](const Inputs& x) { return x[0] / x[1]; }, {leaf({2, 3}), leaf({2, 3}, 0.5f, 2.0f)});
  require_gradcheck("neg", [](const Inputs& x) { return mt::neg(x[0]); }, {leaf({4})});
  // only one side requiring grad
  require_gradcheck("mul_const", [](const Inputs& x) { return x[0] * x[1]; }, {leaf({3}), mt::rand({3})});
  require_gradcheck("div_const", [](const Inputs& x) { return x[0] / x[1]; }, {mt::rand({3}), leaf({3}, 1.0f, 2.0f)});
}

TEST_CASE("scalar variants on both sides: values and gradients") {
  require_values(A() + 2.0f, {3, 4, 5, 6, 7, 8});
  require_values(2.0f + A(), {3, 4, 5, 6, 7, 8});
  require_values(A() - 2.0f, {-1, 0, 1, 2, 3, 4});
  require_values(2.0f - A(), {1, 0, -1, -2, -3, -4});
  require_values(A() * 3.0f, {3, 6, 9, 12, 15, 18});
  require_values(3.0f * A(), {3, 6, 9, 12, 15, 18});
  require_values(A() / 2.0f, {0.5f, 1, 1.5f, 2, 2.5f, 3});
  require_values(6.0f / A(), {6, 3, 2, 1.5f, 1.2f, 1});

  // hand-derived: d(2 - a) = -1, d(a / 2) = 0.5, d(6 / a) = -6 / a^2
  mt::Tensor a = A().requires_grad_(true);
  (2.0f - a).sum().backward();
  require_values(a.grad(), std::vector<float>(6, -1.0f));
  mt::zero_grad(a);
  (a / 2.0f).sum().backward();
  require_values(a.grad(), std::vector<float>(6, 0.5f));
  mt::zero_grad(a);
  (6.0f / a).sum().backward();
  require_values(a.grad(), {-6, -1.5f, -6.0f / 9, -6.0f / 16, -6.0f / 25, -6.0f / 36});

  mt::manual_seed(11);
  const Inputs x1{leaf({2, 3})};
  require_gradcheck("a+s", [](const Inputs& x) { return x[0] + 1.5f; }, x1);
  require_gradcheck("s+a", [](const Inputs& x) { return 1.5f + x[0]; }, x1);
  require_gradcheck("a-s", [](const Inputs& x) { return x[0] - 1.5f; }, x1);
  require_gradcheck("s-a", [](const Inputs& x) { return 1.5f - x[0]; }, x1);
  require_gradcheck("a*s", [](const Inputs& x) { return x[0] * -3.0f; }, x1);
  require_gradcheck("s*a", [](const Inputs& x) { return -3.0f * x[0]; }, x1);
  require_gradcheck("a/s", [](const Inputs& x) { return x[0] / 4.0f; }, x1);
  require_gradcheck("s/a", [](const Inputs& x) { return 2.0f / x[0]; }, {leaf({2, 3}, 0.5f, 2.0f)});
}

TEST_CASE("broadcasting (2, 3) + (3): the (3) gradient sums over rows") {
  mt::Tensor a = mt::zeros({2, 3}).requires_grad_(true);
  mt::Tensor b = mt::tensor(std::vector<float>{10, 20, 30}, {3}).requires_grad_(true);
  mt::Tensor y = a + b;
  REQUIRE(y.shape() == mt::Shape{2, 3});
  require_values(y, {10, 20, 30, 10, 20, 30});
  y.backward(A());  // seed [[1, 2, 3], [4, 5, 6]]
  require_values(a.grad(), {1, 2, 3, 4, 5, 6});
  require_values(b.grad(), {5, 7, 9});
  mt::zero_grad(b);
  (A() - b).backward(A());
  require_values(b.grad(), {-5, -7, -9});
}

TEST_CASE("broadcasting (4, 1) * (1, 5): each gradient sums over the other's axis") {
  mt::Tensor p = mt::tensor(std::vector<float>{1, 2, 3, 4}, {4, 1}).requires_grad_(true);
  mt::Tensor q = mt::tensor(std::vector<float>{1, -1, 2, 0, 3}, {1, 5}).requires_grad_(true);
  mt::Tensor y = p * q;
  REQUIRE(y.shape() == mt::Shape{4, 5});
  REQUIRE(y.to_vector<float>()[7] == 4.0f);  // (1, 2): p[1] * q[2]
  y.sum().backward();
  require_values(p.grad(), {5, 5, 5, 5});       // dp[i] = sum_j q[j]
  require_values(q.grad(), {10, 10, 10, 10, 10});  // dq[j] = sum_i p[i]
}

TEST_CASE("broadcasting with a 0-d tensor and across ranks: gradcheck and hand sums") {
  mt::Tensor a = A().requires_grad_(true);
  mt::Tensor s = mt::full({}, 2.0f).requires_grad_(true);
  (a * s).sum().backward();
  require_values(s.grad(), {21});  // ds = sum(a)
  require_values(a.grad(), std::vector<float>(6, 2.0f));

  mt::manual_seed(12);
  require_gradcheck("bcast_add", [](const Inputs& x) { return x[0] + x[1]; }, {leaf({2, 1, 3}), leaf({4, 1})});
  require_gradcheck("bcast_sub", [](const Inputs& x) { return x[0] - x[1]; }, {leaf({3}), leaf({2, 3})});
  require_gradcheck("bcast_mul", [](const Inputs& x) { return x[0] * x[1]; }, {leaf({4, 1}), leaf({1, 5})});
  require_gradcheck("bcast_div", [](const Inputs& x) { return x[0] / x[1]; }, {leaf({2, 3}), leaf({}, 1.0f, 2.0f)});
}

TEST_CASE("tanh, relu, exp, log: values and gradients") {
  mt::Tensor x = mt::tensor(std::vector<float>{0, 1, -2}, {3});
  require_values(mt::tanh(x), {0, 0.7615942f, -0.9640276f});
  require_values(mt::relu(mt::tensor(std::vector<float>{-1, 0, 2}, {3})), {0, 0, 2});
  require_values(mt::exp(mt::tensor(std::vector<float>{0, 1, -1}, {3})), {1, 2.7182818f, 0.36787944f});
  require_values(mt::log(mt::tensor(std::vector<float>{1, 2.7182818f, 0.5f}, {3})), {0, 1, -0.6931472f});

  // relu'(0) = 0, as PyTorch
  mt::Tensor r = mt::tensor(std::vector<float>{-1, 0, 2}, {3}).requires_grad_(true);
  mt::relu(r).sum().backward();
  require_values(r.grad(), {0, 0, 1});
  // tanh'(1) = 1 - tanh(1)^2
  mt::Tensor t = mt::full({1}, 1.0f).requires_grad_(true);
  mt::tanh(t).sum().backward();
  require_values(t.grad(), {1.0f - 0.7615942f * 0.7615942f});

  mt::manual_seed(13);
  require_gradcheck("tanh", [](const Inputs& v) { return mt::tanh(v[0]); }, {leaf({2, 3}, -2.0f, 2.0f)});
  require_gradcheck("exp", [](const Inputs& v) { return mt::exp(v[0]); }, {leaf({2, 3})});
  require_gradcheck("log", [](const Inputs& v) { return mt::log(v[0]); }, {leaf({2, 3}, 0.5f, 3.0f)});
  // relu away from the kink at 0
  mt::Tensor k = mt::tensor(std::vector<float>{-1.5f, -0.3f, 0.2f, 0.9f, 2.0f, -0.7f}, {2, 3}).requires_grad_(true);
  require_gradcheck("relu", [](const Inputs& v) { return mt::relu(v[0]); }, {k});
}

TEST_CASE("sum and mean over everything") {
  mt::Tensor s = A().sum();
  REQUIRE(s.dim() == 0);
  REQUIRE(s.item<float>() == Approx(21.0f));
  REQUIRE(mt::sum(A()).item<float>() == Approx(21.0f));
  REQUIRE(A().mean().item<float>() == Approx(3.5f));
  REQUIRE(mt::mean(A()).dim() == 0);

  mt::Tensor a = A().requires_grad_(true);
  a.mean().backward();
  require_values(a.grad(), std::vector<float>(6, 1.0f / 6.0f));

  mt::manual_seed(14);
  require_gradcheck("sum", [](const Inputs& x) { return x[0].sum(); }, {leaf({3, 4})});
  require_gradcheck("mean", [](const Inputs& x) { return x[0].mean(); }, {leaf({3, 4})});
}

TEST_CASE("sum and mean over one dim, keepdim true and false") {
  require_values(A().sum(0), {5, 7, 9});
  REQUIRE(A().sum(0).shape() == mt::Shape{3});
  require_values(A().sum(1), {6, 15});
  REQUIRE(A().sum(1).shape() == mt::Shape{2});
  REQUIRE(A().sum(0, true).shape() == mt::Shape{1, 3});
  REQUIRE(A().sum(-1, true).shape() == mt::Shape{2, 1});
  require_values(A().sum(-1, true), {6, 15});
  require_values(A().mean(0), {2.5f, 3.5f, 4.5f});
  require_values(mt::mean(A(), 1, true), {2, 5});
  REQUIRE(mt::mean(A(), 1, true).shape() == mt::Shape{2, 1});

  // hand-derived: d/da of sum_j w[j] * mean(a, 0)[j] = w[j] / 2 in every row
  mt::Tensor a = A().requires_grad_(true);
  a.mean(0).backward(mt::tensor(std::vector<float>{1, 2, 3}, {3}));
  require_values(a.grad(), {0.5f, 1, 1.5f, 0.5f, 1, 1.5f});

  mt::manual_seed(15);
  const Inputs x3{leaf({2, 3, 4})};
  for (int64_t dim : {0, 1, 2, -1})
    for (bool keepdim : {false, true}) {
      INFO("dim " << dim << " keepdim " << keepdim);
      require_gradcheck("sum_dim", [=](const Inputs& x) { return x[0].sum(dim, keepdim); }, x3);
      require_gradcheck("mean_dim", [=](const Inputs& x) { return x[0].mean(dim, keepdim); }, x3);
    }
}

TEST_CASE("matmul 2-D, batched (B, T, K) x (K, N) and with a 1-D b") {
  const mt::Tensor c = mt::tensor(std::vector<float>{1, 0, 0, 1, 1, 1}, {3, 2});
  mt::Tensor y = mt::matmul(A(), c);
  REQUIRE(y.shape() == mt::Shape{2, 2});
  require_values(y, {4, 5, 10, 11});

  mt::Tensor batched = mt::matmul(mt::tensor(std::vector<float>{1, 2, 3, 4, 5, 6, 0, 0, 1, -1, 0, 2}, {2, 2, 3}), c);
  REQUIRE(batched.shape() == mt::Shape{2, 2, 2});
  require_values(batched, {4, 5, 10, 11, 1, 1, 1, 2});

  mt::Tensor mv = mt::matmul(A(), mt::tensor(std::vector<float>{1, 1, 1}, {3}));
  REQUIRE(mv.shape() == mt::Shape{2});
  require_values(mv, {6, 15});

  // hand-derived: y = sum(a c): da = 1 c^T (row sums of c), dc = a^T 1 (column sums of a)
  mt::Tensor a = A().requires_grad_(true);
  mt::Tensor cg = c.clone().requires_grad_(true);
  mt::matmul(a, cg).sum().backward();
  require_values(a.grad(), {1, 1, 2, 1, 1, 2});
  require_values(cg.grad(), {5, 5, 7, 7, 9, 9});

  mt::manual_seed(16);
  auto mm = [](const Inputs& x) { return mt::matmul(x[0], x[1]); };
  require_gradcheck("matmul", mm, {leaf({2, 3}), leaf({3, 4})});
  require_gradcheck("matmul_batched", mm, {leaf({2, 3, 4}), leaf({4, 5})});
  require_gradcheck("matmul_vec", mm, {leaf({2, 3, 4}), leaf({4})});
  require_gradcheck("matmul_const_b", mm, {leaf({3, 4}), mt::randn({4, 2})});
}

TEST_CASE("transpose swaps two dims: a view, its values in the new order") {
  mt::Tensor t = A().transpose(0, 1);
  REQUIRE(t.shape() == mt::Shape{3, 2});
  require_values(t, {1, 4, 2, 5, 3, 6});
  mt::Tensor t3 = mt::transpose(mt::arange(24, mt::kFloat32).view({2, 3, 4}), 0, -1);
  REQUIRE(t3.shape() == mt::Shape{4, 3, 2});
  REQUIRE(t3.to_vector<float>()[1] == 12.0f);  // (0, 0, 1) <- (1, 0, 0)

  mt::manual_seed(17);
  require_gradcheck("transpose", [](const Inputs& x) { return x[0].transpose(0, 1); }, {leaf({2, 3})});
  require_gradcheck("transpose3", [](const Inputs& x) { return mt::transpose(x[0], 2, 0); }, {leaf({2, 3, 4})});
}

TEST_CASE("softmax and log_softmax: values, stability on large inputs, gradients") {
  mt::Tensor x = mt::tensor(std::vector<float>{0, std::log(2.0f), std::log(3.0f), 1, 1, 1}, {2, 3});
  require_values(mt::softmax(x), {1 / 6.0f, 2 / 6.0f, 3 / 6.0f, 1 / 3.0f, 1 / 3.0f, 1 / 3.0f});
  require_values(mt::log_softmax(x, 1),
                 {-1.7917595f, -1.0986123f, -0.6931472f, -1.0986123f, -1.0986123f, -1.0986123f});

  mt::Tensor big = mt::tensor(std::vector<float>{1000, 1000, -1000, 0, 1000, 0}, {2, 3});
  require_values(mt::softmax(big), {0.5f, 0.5f, 0, 0, 1, 0});
  require_values(mt::log_softmax(big), {-0.6931472f, -0.6931472f, -2000.6931472f, -1000, 0, -1000}, 1e-6);
  // near the max the result keeps full precision however large the inputs (1e6 + log 2 rounds to 1e6 + 0.6875)
  require_values(mt::log_softmax(mt::full({1, 2}, 1e6f)), {-0.6931472f, -0.6931472f}, 1e-6);

  mt::manual_seed(18);
  require_gradcheck("softmax", [](const Inputs& v) { return mt::softmax(v[0]); }, {leaf({3, 4}, -2.0f, 2.0f)});
  require_gradcheck("log_softmax", [](const Inputs& v) { return mt::log_softmax(v[0], -1); },
                    {leaf({2, 2, 5}, -2.0f, 2.0f)});

  // hand-derived on the large rows, seeds e0 and e2: log_softmax da = dy - softmax * sum(dy),
  // softmax da = y * (dy - sum(dy * y))
  const mt::Tensor seed = mt::tensor(std::vector<float>{1, 0, 0, 0, 0, 1}, {2, 3});
  mt::Tensor b = big.clone().requires_grad_(true);
  mt::log_softmax(b).backward(seed);
  require_values(b.grad(), {0.5f, -0.5f, 0, 0, -1, 1});
  mt::zero_grad(b);
  mt::softmax(b).backward(seed);
  require_values(b.grad(), {0.25f, -0.25f, 0, 0, 0, 0});
}

TEST_CASE("view, reshape and clone: values and gradients") {
  mt::Tensor v = A().view({3, 2});
  require_values(v, {1, 2, 3, 4, 5, 6});
  mt::Tensor a = A().requires_grad_(true);
  a.reshape({-1}).backward(mt::tensor(std::vector<float>{6, 5, 4, 3, 2, 1}, {6}));
  REQUIRE(a.grad().shape() == mt::Shape{2, 3});
  require_values(a.grad(), {6, 5, 4, 3, 2, 1});

  mt::manual_seed(19);
  require_gradcheck("view", [](const Inputs& x) { return x[0].view({3, -1}) * x[1]; }, {leaf({2, 3}), leaf({2})});
  require_gradcheck("reshape", [](const Inputs& x) { return x[0].reshape({4, 6}); }, {leaf({2, 3, 4})});
  require_gradcheck("clone", [](const Inputs& x) { return x[0].clone() * x[0]; }, {leaf({5})});
}
