// Helpers the tests of API version 2's ops share: random leaves, a gradcheck that names the op, and a plain
// comparison of a float tensor's values.
#pragma once
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <functional>
#include <string>
#include <vector>

namespace ops_v2 {
namespace mt = microtorch;
using Inputs = std::vector<mt::Tensor>;

// A leaf of uniform values in [lo, hi), requiring grad.
inline mt::Tensor leaf(const mt::Shape& shape, float lo = -1.0f, float hi = 1.0f) {
  return (mt::rand(shape) * (hi - lo) + lo).detach().requires_grad_(true);
}

inline void require_gradcheck(const std::string& op, const std::function<mt::Tensor(const Inputs&)>& f, const Inputs& xs) {
  const mt::autograd::GradcheckResult r = mt::autograd::gradcheck(f, xs, op);
  INFO(r.message());
  REQUIRE(r.ok);
}

// Every value within 1e-6 (relative to max(1, |want|)) of want, and the shape as given.
inline void require_values(const mt::Tensor& t, const mt::Shape& shape, const std::vector<float>& want) {
  REQUIRE(t.shape() == shape);
  const auto got = t.to_vector<float>();
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("index " << i);
    REQUIRE(got[i] == Approx(want[i]).margin(1e-6).epsilon(1e-6));
  }
}

// A float tensor 0, 1, 2, ... of the shape.
inline mt::Tensor iota(const mt::Shape& shape) { return mt::arange(mt::shape_numel(shape)).to(mt::kFloat32).reshape(shape); }

}  // namespace ops_v2
