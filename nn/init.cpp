#include "init.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "../core/autograd.h"
#include "../core/random.h"

namespace microtorch::nn::init {

// Writes f() into every element of the float32 t, under no-grad, and marks t as changed in place.
template <class Draw> static Tensor fill_(Tensor& t, const char* name, Draw draw) {
  if (t.dtype() != kFloat32)
    throw std::invalid_argument(std::string(name) + ": expected a float32 tensor, got " + dtype_name(t.dtype()));
  NoGradGuard no_grad;
  float* p = t.data_ptr<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>(draw());
  t.bump_version();
  return t;
}

Tensor normal_(Tensor t, double mean, double std) {
  if (!(std >= 0.0)) throw std::invalid_argument("normal_: std must be >= 0, got " + std::to_string(std));
  return fill_(t, "normal_", [&] { return random_normal(mean, std); });
}

Tensor trunc_normal_(Tensor t, double mean, double std, double a, double b) {
  if (!(a < b)) throw std::invalid_argument("trunc_normal_: need a < b, got [" + std::to_string(a) + ", " + std::to_string(b) + "]");
  if (!(std > 0.0)) throw std::invalid_argument("trunc_normal_: std must be > 0, got " + std::to_string(std));
  return fill_(t, "trunc_normal_", [&] {
    for (;;) {  // rejection: keeps the normal's shape inside [a, b]
      double x = random_normal(mean, std);
      if (x >= a && x <= b) return x;
    }
  });
}

Tensor uniform_(Tensor t, double a, double b) {
  if (!(a <= b)) throw std::invalid_argument("uniform_: need a <= b, got [" + std::to_string(a) + ", " + std::to_string(b) + "]");
  return fill_(t, "uniform_", [&] { return a + (b - a) * random_uniform(); });
}

Tensor constant_(Tensor t, double value) { return fill_(t, "constant_", [&] { return value; }); }
Tensor zeros_(Tensor t) { return constant_(t, 0.0); }
Tensor ones_(Tensor t) { return constant_(t, 1.0); }

Tensor linear_default_(Tensor t, int64_t fan_in) {
  const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
  return uniform_(t, -bound, bound);
}

}  // namespace microtorch::nn::init
