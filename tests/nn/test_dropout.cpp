// F::dropout and nn::Dropout: inverted scaling, the identity when not training, p validated, and gradcheck through
// a fixed mask.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include "helpers.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using namespace helpers;

TEST_CASE("dropout: inverted scaling, identity when not training, p validated, gradcheck through a fixed mask") {
  const mt::Tensor x = mt::ones({10000});
  const mt::Tensor same = F::dropout(x, F::DropoutFuncOptions().p(0.4).training(false));
  CHECK(mt::detail::impl_ptr(same) == mt::detail::impl_ptr(x));
  const auto y = F::dropout(x, F::DropoutFuncOptions().p(0.4)).to_vector<float>();
  int zeros = 0;
  for (float v : y) {
    if (v == 0.0f) ++zeros;
    else CHECK(v == Approx(1.0 / 0.6).epsilon(1e-6));
  }
  CHECK(zeros > 3700);
  CHECK(zeros < 4300);
  for (float v : F::dropout(x, F::DropoutFuncOptions().p(1.0)).to_vector<float>()) CHECK(v == 0.0f);
  CHECK_THROWS_AS(F::dropout(x, F::DropoutFuncOptions().p(1.5)), std::invalid_argument);
  CHECK_THROWS_AS(F::dropout(x, F::DropoutFuncOptions().p(-0.1)), std::invalid_argument);
  CHECK_THROWS_AS(mt::nn::Dropout(mt::nn::DropoutOptions(2.0)), std::invalid_argument);
  mt::manual_seed(3);
  const mt::Tensor xs = randn_leaf({5, 4});
  require_gradcheck("dropout", [](const Inputs& in) {
    mt::manual_seed(11);  // the same mask at every evaluation
    return F::dropout(in[0], F::DropoutFuncOptions().p(0.3));
  }, {xs});
}
