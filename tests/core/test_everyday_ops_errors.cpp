// Bad input to the everyday ops: a typed exception naming the value and what was expected, nothing written.
#include <stdexcept>

#include "../helpers.h"

namespace mt = microtorch;
using helpers::rejects;

TEST_CASE("everyday ops refuse bad dims, naming the dim and the valid range") {
  const mt::Tensor x = mt::zeros({2, 3});
  CHECK(rejects<std::out_of_range>([&] { x.cumsum(2); }, {"cumsum", "dim 2", "[-2, 1]"}) == "");
  CHECK(rejects<std::out_of_range>([&] { x.sort(-3); }, {"sort", "dim -3"}) == "");
  CHECK(rejects<std::out_of_range>([&] { x.argsort(5); }, {"sort", "dim 5"}) == "");
  CHECK(rejects<std::out_of_range>([&] { x.min(2); }, {"min", "dim 2"}) == "");
  CHECK(rejects<std::out_of_range>([&] { x.argmin(-3); }, {"argmin", "dim -3"}) == "");
  CHECK(rejects<std::out_of_range>([&] { x.std(4); }, {"var", "dim 4"}) == "");
  CHECK(rejects<std::out_of_range>([&] { x.flatten(3); }, {"flatten", "dim 3"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { mt::zeros({2, 3, 4}).flatten(2, 1); }, {"flatten", "start_dim 2", "end_dim 1"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { mt::zeros({2, 0}).min(1); }, {"min", "size 0"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { mt::zeros({0}).max(); }, {"max", "[0]", "no elements"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { mt::zeros({0}).min(); }, {"min", "no elements"}) == "");
}

TEST_CASE("arange, linspace and randperm refuse a zero step, a wrong-sign step and negative counts") {
  CHECK(rejects<std::invalid_argument>([] { mt::arange(0, 5, 0); }, {"arange", "step 0", "nonzero"}) == "");
  CHECK(rejects<std::invalid_argument>([] { mt::arange(0, 5, -1); }, {"arange", "step -1", "end 5"}) == "");
  CHECK(rejects<std::invalid_argument>([] { mt::arange(1.0, 0.0, 0.5); }, {"arange", "step 0.5", "start 1"}) == "");
  CHECK(rejects<std::invalid_argument>([] { mt::arange(0.0, INFINITY, 1.0); }, {"arange", "finite"}) == "");
  CHECK(rejects<std::invalid_argument>([] { mt::linspace(0, 1, -2); }, {"linspace", "steps -2", ">= 0"}) == "");
  CHECK(rejects<std::invalid_argument>([] { mt::randperm(-1); }, {"randperm", "n -1", ">= 0"}) == "");
}

TEST_CASE("repeat, clamp, norm, mm and bmm refuse what does not fit") {
  const mt::Tensor x = mt::zeros({2, 3});
  CHECK(rejects<std::invalid_argument>([&] { x.repeat({2}); }, {"repeat", "[2]", "[2, 3]", "at least one repeat per dim"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { x.repeat({2, -1}); }, {"repeat", "-1", "position 1", ">= 0"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { x.clamp(std::nullopt, std::nullopt); }, {"clamp", "neither min nor max"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { (x > 0).clamp(0, 1); }, {"clamp", "bool"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { mt::tensor({1, 2}).norm(); }, {"norm", "int64"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { x.norm(NAN); }, {"norm", "p is NaN"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { mt::mm(x, mt::zeros({3})); }, {"mm", "2-D", "[2, 3]", "[3]"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { mt::bmm(mt::zeros({2, 2, 3}), mt::zeros({3, 3, 4})); },
                                       {"bmm", "[2, 2, 3]", "[3, 3, 4]"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { mt::allclose(x, mt::zeros({4})); }, {"[2, 3]", "[4]"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { mt::allclose(x, x, -1.0); }, {"allclose", "rtol"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { mt::rand_like(mt::tensor({1, 2})); }, {"int64"}) == "");
}

TEST_CASE("compound assignment: in place as PyTorch, refused on a leaf that requires grad and for shapes that do not fit") {
  mt::Tensor x = mt::ones({2, 3});
  const mt::Tensor y = mt::full({3}, 2.0f);
  x += y;   // broadcast into x's shape
  x *= 3;
  x -= 1.5;
  x /= mt::full({2, 1}, 3.0f);
  CHECK(x.to_vector<float>() == std::vector<float>(6, 2.5f));
  mt::Tensor small = mt::ones({3});
  CHECK(rejects<std::invalid_argument>([&] { small += mt::ones({2, 3}); }, {"[3]", "[2, 3]"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { x *= mt::ones({4}); }, {"[2, 3]", "[4]"}) == "");
  CHECK(small.to_vector<float>() == std::vector<float>(3, 1.f));  // nothing written
  mt::Tensor w = mt::ones({2}).requires_grad_(true);
  CHECK(rejects<std::runtime_error>([&] { w += 1; }, {"leaf"}) == "");
  CHECK(rejects<std::runtime_error>([&] { w *= mt::ones({2}); }, {"leaf"}) == "");
  {
    mt::NoGradGuard no_grad;
    w += 1;  // allowed under the guard, as PyTorch
  }
  CHECK(w.to_vector<float>() == std::vector<float>(2, 2.f));
  // a value a recorded op saved, changed in place, refuses the backward (the version counter)
  mt::Tensor v = mt::ones({2}).requires_grad_(true) * 1.0f;
  mt::Tensor loss = (v * v).sum();
  v += 1;
  CHECK(rejects<std::runtime_error>([&] { loss.backward(); }, {"in-place"}) == "");
}
