// The global generator and the factories that draw from it.
#include "random.h"

#include <cmath>
#include <stdexcept>

#include "tensor.h"

namespace microtorch {

static std::mt19937_64& generator() {
  static std::mt19937_64 gen(5489u);  // the second allowed global: one generator, reseeded by manual_seed
  return gen;
}

void manual_seed(uint64_t seed) { generator().seed(seed); }

double random_uniform() {
  return static_cast<double>(generator()() >> 11) * (1.0 / 9007199254740992.0);  // 53 random bits
}

double random_normal(double mean, double std) {
  const double two_pi = 6.283185307179586;
  double u1 = 1.0 - random_uniform();  // (0, 1]: log is finite
  double u2 = random_uniform();
  return mean + std * std::sqrt(-2.0 * std::log(u1)) * std::cos(two_pi * u2);
}

int64_t random_int(int64_t low, int64_t high) {
  std::uniform_int_distribution<int64_t> dist(low, high - 1);
  return dist(generator());
}

Tensor randn(const Shape& shape) {
  Tensor t = empty(shape);
  float* p = t.data_ptr<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>(random_normal(0.0, 1.0));
  return t;
}

Tensor rand(const Shape& shape) {
  Tensor t = empty(shape);
  float* p = t.data_ptr<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>(random_uniform());
  return t;
}

Tensor randint(int64_t low, int64_t high, const Shape& shape) {
  if (high <= low)
    throw std::invalid_argument("randint: empty range [" + std::to_string(low) + ", " + std::to_string(high) + ")");
  Tensor t = empty(shape, kInt64);
  int64_t* p = t.data_ptr<int64_t>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = random_int(low, high);
  return t;
}

}  // namespace microtorch
