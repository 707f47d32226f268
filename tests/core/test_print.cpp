// std::cout << x as PyTorch 1.13 prints it (repr), each expected string printed by torch (tests/core/pytorch/print.py).
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <sstream>
#include <string>

namespace mt = microtorch;

namespace {

std::string str(const mt::Tensor& t) {
  std::ostringstream s;
  s << t;
  return s.str();
}

}  // namespace

TEST_CASE("print: rows and columns, one format per tensor, dtype and requires_grad, as PyTorch") {
  CHECK(str(mt::arange(6).reshape({2, 3})) == "tensor([[0, 1, 2],\n        [3, 4, 5]])");
  CHECK(str(mt::tensor({1.5f, -2.25f, 3.0f, 0.125f, 10.0f, -7.5f}).reshape({2, 3})) ==
        "tensor([[ 1.5000, -2.2500,  3.0000],\n        [ 0.1250, 10.0000, -7.5000]])");
  CHECK(str(mt::tensor({1.0f, -2.0f, 30.0f})) == "tensor([ 1., -2., 30.])");
  CHECK(str(mt::tensor({1e-5f, 1.0f, 123.0f})) == "tensor([1.0000e-05, 1.0000e+00, 1.2300e+02])");
  CHECK(str(mt::tensor({1.0f, 2e9f})) == "tensor([1.0000e+00, 2.0000e+09])");
  CHECK(str(mt::tensor({INFINITY, NAN, 1.5f, -INFINITY})) == "tensor([   inf,    nan, 1.5000,   -inf])");
  CHECK(str(mt::tensor(std::vector<double>{0.1, 0.2}, {2})) == "tensor([0.1000, 0.2000], dtype=torch.float64)");
  CHECK(str(mt::tensor({0.1f, 1.7f}).half()) == "tensor([0.1000, 1.7002], dtype=torch.float16)");
  CHECK(str(mt::tensor({1, 0}) == 1) == "tensor([ True, False])");
  CHECK(str(mt::tensor({3, -4}).to(mt::kInt32)) == "tensor([ 3, -4], dtype=torch.int32)");
  CHECK(str(mt::full({}, 2.5f)) == "tensor(2.5000)");
  CHECK(str(mt::zeros({0, 4})) == "tensor([], size=(0, 4))");
  CHECK(str(mt::zeros({0}, mt::kInt64)) == "tensor([], dtype=torch.int64)");
  CHECK(str(mt::tensor({1.0f, 2.0f}).requires_grad_(true)) == "tensor([1., 2.], requires_grad=True)");
  CHECK(str(mt::arange(8).reshape({2, 2, 2})) == "tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]])");
  CHECK(str(mt::zeros({2})) == "tensor([0., 0.])");
}

TEST_CASE("print: a long row wraps at 80 columns, past 1000 elements each dim is summarised with ..., as PyTorch") {
  CHECK(str(mt::arange(30).to(mt::kFloat32) * 1.5f) ==
        "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n"
        "        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n"
        "        24.0000, 25.5000, 27.0000, 28.5000, 30.0000, 31.5000, 33.0000, 34.5000,\n"
        "        36.0000, 37.5000, 39.0000, 40.5000, 42.0000, 43.5000])");
  CHECK(str((mt::arange(2000).to(mt::kFloat32) / 4).reshape({40, 50})) ==
        "tensor([[0.0000e+00, 2.5000e-01, 5.0000e-01,  ..., 1.1750e+01, 1.2000e+01,\n"
        "         1.2250e+01],\n"
        "        [1.2500e+01, 1.2750e+01, 1.3000e+01,  ..., 2.4250e+01, 2.4500e+01,\n"
        "         2.4750e+01],\n"
        "        [2.5000e+01, 2.5250e+01, 2.5500e+01,  ..., 3.6750e+01, 3.7000e+01,\n"
        "         3.7250e+01],\n"
        "        ...,\n"
        "        [4.6250e+02, 4.6275e+02, 4.6300e+02,  ..., 4.7425e+02, 4.7450e+02,\n"
        "         4.7475e+02],\n"
        "        [4.7500e+02, 4.7525e+02, 4.7550e+02,  ..., 4.8675e+02, 4.8700e+02,\n"
        "         4.8725e+02],\n"
        "        [4.8750e+02, 4.8775e+02, 4.8800e+02,  ..., 4.9925e+02, 4.9950e+02,\n"
        "         4.9975e+02]])");
}
