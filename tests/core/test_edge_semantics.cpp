// PyTorch's answers at the edges (issue 30, items 5 and 13-22), each with PyTorch 1.13's numbers: a 0-d
// topk, an arange whose length overflows, item<int32_t> of a large int64, relu of NaN, attention with a
// query that sees no key, chunks of a size-0 dim, an int64 compared with a float, reductions over a 0-d
// tensor's dim, one_hot's inferred class count, where and argmax on int64, a backward after an in-place
// write to an input of add, bool tensors through save/load and .npy, and gradcheck of an empty input.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace mt = microtorch;
namespace F = mt::nn::functional;
namespace fs = std::filesystem;

namespace {
std::string scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("mt_edges_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return (dir / name).string();
}
std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("edges: record() with an undefined output is refused, naming the op") {
  mt::Tensor x = mt::ones({2}).requires_grad_(true), out;
  REQUIRE_THROWS_AS(mt::record(out, "my_op", {x}, [](const mt::Tensor&) {}), std::invalid_argument);
  REQUIRE_THROWS_WITH(mt::record(out, "my_op", {x}, [](const mt::Tensor&) {}),
                      Catch::Contains("my_op") && Catch::Contains("undefined"));
}

TEST_CASE("edges: topk of a 0-d tensor, k = 0 or 1, gives the element and index 0, as PyTorch") {
  // torch.topk(torch.tensor(3.), 0) -> (tensor(3.), tensor(0)); so does k = 1; k = 2 is out of range
  for (int64_t k : {0, 1}) {
    mt::Tensor s = mt::full({}, 3.0f).requires_grad_(true);
    auto [v, i] = mt::topk(s, k);
    REQUIRE(v.dim() == 0);
    REQUIRE(i.dim() == 0);
    REQUIRE(v.item<float>() == 3.0f);
    REQUIRE(i.item<int64_t>() == 0);
    (v * 5.0f).backward();
    REQUIRE(s.grad().item<float>() == 5.0f);  // PyTorch: tensor(5.) for both k
  }
  REQUIRE_THROWS_AS(mt::topk(mt::full({}, 3.0f), 2), std::out_of_range);
  // int64 values are ordered too, as PyTorch's topk
  auto [v, i] = mt::topk(mt::tensor(std::vector<int64_t>{4, 9, -1, 9}, {4}), 2);
  REQUIRE(v.to_vector<int64_t>() == std::vector<int64_t>{9, 9});
  REQUIRE(i.to_vector<int64_t>() == std::vector<int64_t>{1, 3});
}

TEST_CASE("edges: arange whose length overflows int64 is refused instead of empty") {
  // PyTorch: RuntimeError "invalid size, possible overflow?"
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  REQUIRE_THROWS_WITH(mt::arange(-3, kMax), Catch::Contains("arange") && Catch::Contains("[-3, 9223372036854775807)"));
  REQUIRE_THROWS_AS(mt::arange(std::numeric_limits<int64_t>::min(), kMax), std::invalid_argument);
  REQUIRE(mt::arange(kMax - 2, kMax).to_vector<int64_t>() == std::vector<int64_t>{kMax - 2, kMax - 1});
  REQUIRE(mt::arange(5, 2).numel() == 0);
}

TEST_CASE("edges: item<T>() of an integer that T cannot hold throws, as libtorch's checked item") {
  const mt::Tensor big = mt::tensor({int64_t{1} << 40}, {});
  REQUIRE(big.item<int64_t>() == int64_t{1} << 40);  // torch.tensor(2**40).item() == 1099511627776
  REQUIRE(big.item<double>() == 1099511627776.0);
  REQUIRE_THROWS_WITH(big.item<int32_t>(), Catch::Contains("1099511627776") && Catch::Contains("2147483647"));
  REQUIRE_THROWS_AS(mt::tensor({int64_t{-1}}, {}).item<uint32_t>(), std::invalid_argument);
  REQUIRE_THROWS_AS(mt::tensor({int64_t{40000}}, {}).item<int16_t>(), std::invalid_argument);
  REQUIRE(mt::tensor({int64_t{-32768}}, {}).item<int16_t>() == -32768);
  REQUIRE(mt::full({}, -7.9f).item<int16_t>() == -7);  // float -> int16 truncates, as before
  REQUIRE_THROWS_AS(mt::full({}, 40000.0f).item<int16_t>(), std::invalid_argument);
}

TEST_CASE("edges: relu keeps NaN and passes its gradient, as PyTorch") {
  // x = [nan, -1, 2]: torch.relu -> [nan, 0, 2]; backward of ones -> [1, 0, 1]
  mt::Tensor x = mt::tensor({NAN, -1.0f, 2.0f}).requires_grad_(true);
  mt::Tensor y = mt::relu(x);
  const auto v = y.to_vector<float>();
  REQUIRE(std::isnan(v[0]));
  REQUIRE(v[1] == 0.0f);
  REQUIRE(v[2] == 2.0f);
  y.backward(mt::ones({3}));
  REQUIRE(x.grad().to_vector<float>() == std::vector<float>{1.0f, 0.0f, 1.0f});
}

TEST_CASE("edges: attention with a query that sees no key keeps dq and dk finite, as PyTorch") {
  // PyTorch 1.13: s = q k^T / sqrt(2) masked_fill(~mask, -inf), y = softmax(s) v, backward of ones.
  // Query 1 sees no key: its output row is NaN, dv is NaN, dq and dk are finite (masked scores get no gradient).
  mt::Tensor q = mt::tensor({1.5f, -0.25f, -2.0f, 0.5f, -1.0f, -1.5f}, {3, 2}).requires_grad_(true);
  mt::Tensor k = mt::tensor({0.5f, 0.75f, -0.75f, -0.5f, -0.5f, 0.25f}, {3, 2}).requires_grad_(true);
  mt::Tensor v = mt::tensor({-0.75f, 1.0f, -1.0f, 0.25f, -0.5f, 0.5f}, {3, 2}).requires_grad_(true);
  const mt::Tensor mask = mt::tensor({1, 1, 0, 0, 0, 0, 1, 1, 1}, {3, 3}) == 1;
  mt::Tensor y = F::scaled_dot_product_attention(q, k, v, mask);
  const auto yv = y.to_vector<float>();
  CHECK(yv[0] == Approx(-0.8122).margin(1e-4));
  CHECK(yv[1] == Approx(0.8134).margin(1e-4));
  CHECK(std::isnan(yv[2]));
  CHECK(std::isnan(yv[3]));
  CHECK(yv[4] == Approx(-0.8545).margin(1e-4));
  CHECK(yv[5] == Approx(0.3689).margin(1e-4));
  y.backward(mt::ones({3, 2}));
  const std::vector<float> dq_torch{0.1652f, 0.1652f, 0.0f, 0.0f, 0.0698f, 0.1134f};
  const std::vector<float> dk_torch{0.1599f, -0.0906f, -0.0726f, 0.2215f, -0.0873f, -0.1309f};
  const auto dq = q.grad().to_vector<float>(), dk = k.grad().to_vector<float>();
  for (size_t i = 0; i < 6; ++i) {
    CHECK(dq[i] == Approx(dq_torch[i]).margin(1e-4));
    CHECK(dk[i] == Approx(dk_torch[i]).margin(1e-4));
  }
  for (float g : v.grad().to_vector<float>()) CHECK(std::isnan(g));  // PyTorch's dv is NaN everywhere
}

TEST_CASE("edges: chunk of a size-0 dim gives as many empty pieces as asked, as PyTorch") {
  // torch.zeros(0, 2).chunk(3) -> 3 pieces of [0, 2]; torch.zeros(2, 0).chunk(3, 1) -> 3 of [2, 0]
  const auto rows = mt::zeros({0, 2}).chunk(3);
  REQUIRE(rows.size() == 3);
  for (const auto& c : rows) REQUIRE(c.shape() == mt::Shape{0, 2});
  const auto cols = mt::zeros({2, 0}).chunk(3, 1);
  REQUIRE(cols.size() == 3);
  for (const auto& c : cols) REQUIRE(c.shape() == mt::Shape{2, 0});
  REQUIRE(mt::zeros({5, 2}).chunk(3).size() == 3);  // [2, 2], [2, 2], [1, 2]
  REQUIRE(mt::zeros({1, 2}).chunk(3).size() == 1);
}

TEST_CASE("edges: an int64 tensor compared with a float is compared in float32, with an integer exactly") {
  // torch.tensor([16777217]) == 16777216.0 -> True (float32); == 16777216 -> False (int64)
  const mt::Tensor ids = mt::tensor({int64_t{16777217}});
  REQUIRE((ids == 16777216.0).to_vector<bool>() == std::vector<bool>{true});
  REQUIRE((ids == 16777216.0f).to_vector<bool>() == std::vector<bool>{true});
  REQUIRE((ids == 16777216).to_vector<bool>() == std::vector<bool>{false});
  REQUIRE((ids == int64_t{16777217}).to_vector<bool>() == std::vector<bool>{true});
  REQUIRE((ids > 16777216).to_vector<bool>() == std::vector<bool>{true});
  REQUIRE((ids > 16777216.0).to_vector<bool>() == std::vector<bool>{false});
  REQUIRE((mt::tensor({0.5f}) < 1).to_vector<bool>() == std::vector<bool>{true});
}

TEST_CASE("edges: sum(0) and mean(0) of a 0-d tensor give the value, as var and max do, and as PyTorch") {
  // s = torch.tensor(3., requires_grad=True): s.sum(0) = s.mean(0) = s.sum(-1, keepdim=True) = tensor(3.)
  mt::Tensor s = mt::full({}, 3.0f).requires_grad_(true);
  for (const mt::Tensor& r : {s.sum(0), s.mean(0), s.sum(-1, true), s.mean(-1, true)}) {
    REQUIRE(r.dim() == 0);
    REQUIRE(r.item<float>() == 3.0f);
  }
  (s.sum(0) * 2.0f).backward();
  REQUIRE(s.grad().item<float>() == 2.0f);  // PyTorch: tensor(2.)
  REQUIRE_THROWS_AS(s.sum(1), std::out_of_range);
}

TEST_CASE("edges: one_hot with num_classes -1 infers max(ids) + 1, as PyTorch") {
  // F.one_hot(torch.tensor([0, 2, 1]), -1) -> [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
  const mt::Tensor h = mt::one_hot(mt::tensor({0, 2, 1}), -1);
  REQUIRE(h.shape() == mt::Shape{3, 3});
  REQUIRE(h.dtype() == mt::kInt64);
  REQUIRE(h.to_vector<int64_t>() == std::vector<int64_t>{1, 0, 0, 0, 0, 1, 0, 1, 0});
  REQUIRE_THROWS_WITH(mt::one_hot(mt::zeros({0}, mt::kInt64), -1), Catch::Contains("one_hot") && Catch::Contains("empty"));
  REQUIRE_THROWS_WITH(mt::one_hot(mt::tensor({int64_t{0}}), -2),
                      Catch::Contains("one_hot") && Catch::Contains("num_classes -2"));
}

TEST_CASE("edges: where and argmax take int64, as PyTorch") {
  // torch.where(tensor([True, False]), tensor([1, 2]), tensor([3, 4])) -> tensor([1, 4]) (int64)
  const mt::Tensor w = mt::where(mt::tensor({1, 0}) == 1, mt::tensor({1, 2}), mt::tensor({3, 4}));
  REQUIRE(w.dtype() == mt::kInt64);
  REQUIRE(w.to_vector<int64_t>() == std::vector<int64_t>{1, 4});
  // an int64 and a float32 side promote to float32
  const mt::Tensor m = mt::where(mt::tensor({1, 0}) == 1, mt::tensor({1, 2}), mt::tensor({0.5f, 0.25f}));
  REQUIRE(m.dtype() == mt::kFloat32);
  REQUIRE(m.to_vector<float>() == std::vector<float>{1.0f, 0.25f});
  // torch.argmax(tensor([[1, 5, 3], [7, 2, 7]]), 1) -> tensor([1, 0])
  REQUIRE(mt::argmax(mt::tensor({1, 5, 3, 7, 2, 7}, {2, 3}), 1).to_vector<int64_t>() == std::vector<int64_t>{1, 0});
  auto [values, idx] = mt::max(mt::tensor({1, 5, 3, 7, 2, 7}, {2, 3}), 1);
  REQUIRE(values.to_vector<int64_t>() == std::vector<int64_t>{5, 7});
  // PyTorch: "argmax_cpu" not implemented for 'Bool'; ours names argmax
  REQUIRE_THROWS_WITH(mt::argmax(mt::tensor({1, 0}) == 1, 0), Catch::StartsWith("argmax:") && Catch::Contains("bool"));
}

TEST_CASE("edges: backward after an in-place write to an input of add is allowed (add saves nothing)") {
  // PyTorch: a = randn(3, requires_grad=True); b = ones(3); y = a + b; b.add_(1); y.sum().backward() -> a.grad = 1
  mt::Tensor a = mt::randn({3}).requires_grad_(true), b = mt::ones({3});
  mt::Tensor y = a + b;
  b.add_(mt::ones({3}));
  y.sum().backward();
  REQUIRE(a.grad().to_vector<float>() == std::vector<float>{1, 1, 1});
  // tanh's backward reads its output, not its input: PyTorch allows writing x, and gives 1 - tanh(x_old)^2
  mt::Tensor x = mt::tensor({1.0f, 2.0f}).requires_grad_(true);
  mt::Tensor t = mt::tanh(x).sum();
  {
    mt::NoGradGuard no_grad;
    x.copy_(mt::ones({2}));
  }
  t.backward();
  const auto gx = x.grad().to_vector<float>();
  CHECK(gx[0] == Approx(0.4200).margin(1e-4));  // PyTorch: tensor([0.4200, 0.0707])
  CHECK(gx[1] == Approx(0.0707).margin(1e-4));
  // mul reads b in its backward: still refused
  mt::Tensor c = mt::ones({3});
  mt::Tensor z = a * c;
  c.add_(mt::ones({3}));
  REQUIRE_THROWS_WITH(z.sum().backward(), Catch::Contains("mul") && Catch::Contains("in-place"));
}

TEST_CASE("edges: bool tensors round-trip through save/load and save_npy/load_npy") {
  const mt::Tensor flags = mt::tensor({1, 0, 1, 1}, {2, 2}) == 1;
  mt::save({{"flags", flags}}, scratch("flags.safetensors"));
  const mt::Tensor back = mt::load(scratch("flags.safetensors")).at(0).second;
  REQUIRE(back.dtype() == mt::kBool);
  REQUIRE(back.to_vector<bool>() == flags.to_vector<bool>());
  mt::save_npy(flags, scratch("flags.npy"));
  REQUIRE(mt::load_npy(scratch("flags.npy")).to_vector<bool>() == flags.to_vector<bool>());
}

TEST_CASE("edges: save_npy writes NumPy's own bytes, and 22 or more dims load back") {
  // np.save of np.array([True, False, True]) (NumPy 1.24): a 128-byte header, then 01 00 01
  const std::string numpy_bool = std::string("\x93NUMPY\x01\x00v\x00", 10) +
                                 "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }" + std::string(60, ' ') +
                                 "\n" + std::string("\x01\x00\x01", 3);
  mt::save_npy(mt::tensor({1, 0, 1}) == 1, scratch("b.npy"));
  REQUIRE(file_bytes(scratch("b.npy")) == numpy_bool);
  // np.save of np.ones((1,) * 21 + (2,), np.float32): a 192-byte header (length byte 0xb6 >= 0x80)
  mt::Shape shape(21, 1);
  shape.push_back(2);
  mt::save_npy(mt::ones(shape), scratch("d22.npy"));
  const std::string bytes = file_bytes(scratch("d22.npy"));
  REQUIRE(bytes.size() == 192 + 8);
  REQUIRE(bytes.substr(8, 2) == std::string("\xb6\x00", 2));
  const mt::Tensor back = mt::load_npy(scratch("d22.npy"));
  REQUIRE(back.shape() == shape);
  REQUIRE(back.to_vector<float>() == std::vector<float>{1.0f, 1.0f});
  mt::Shape deep(30, 1);
  mt::save_npy(mt::full(deep, 2.5f), scratch("d30.npy"));
  REQUIRE(mt::load_npy(scratch("d30.npy")).shape() == deep);
  fs::remove_all(fs::path(scratch("x")).parent_path());
}

TEST_CASE("edges: gradcheck of an empty input passes, and with no input requiring grad it names the op") {
  const mt::Tensor empty = mt::zeros({0, 3}).requires_grad_(true);
  const auto r = mt::autograd::gradcheck([](const std::vector<mt::Tensor>& xs) { return (xs[0] * 2.0f).sum(); }, {empty},
                                         "double_sum");
  REQUIRE(r.ok);
  REQUIRE_THROWS_WITH(mt::autograd::gradcheck([](const std::vector<mt::Tensor>& xs) { return xs[0] * 2.0f; },
                                              {mt::ones({2})}, "double"),
                      Catch::Contains("gradcheck(double)") && Catch::Contains("requires grad"));
}
