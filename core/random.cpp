// The global generator and the factories that draw from it.
#include "random.h"

#include <cmath>
#include <mutex>
#include <string>
#include <utility>
#include <stdexcept>

#include <pthread.h>

#include "tensor.h"

namespace microtorch {

namespace {

// The second allowed global: one generator, reseeded by manual_seed, behind one mutex.
struct Generator {
  std::mutex mutex;
  std::mt19937_64 engine{5489u};
};
Generator* g_generator = nullptr;  // never destroyed: a draw during static destruction still finds it
thread_local bool t_holds = false;  // this thread holds g_generator->mutex (inside a GeneratorGuard)

// A fork while another thread draws would leave the child's copy of the mutex locked: the mutex is taken
// before the fork and released on both sides after it (unless the forking thread holds it itself). The
// generator and its handlers are made when the library is loaded, before main() starts a thread (made
// lazily, a fork() during the first draw left the child waiting on a half-made static).
void lock_before_fork() {
  if (!t_holds) g_generator->mutex.lock();
}
void unlock_after_fork() {
  if (!t_holds) g_generator->mutex.unlock();
}

Generator& generator() {
  if (!g_generator) g_generator = new Generator;  // only before main(): below, or an earlier static's draw
  return *g_generator;
}

[[maybe_unused]] const bool g_generator_ready = [] {
  generator();
  pthread_atfork(lock_before_fork, unlock_after_fork, unlock_after_fork);
  return true;
}();

// One draw of 53 random bits as a double in [0, 1); the caller holds the lock.
double uniform_locked(std::mt19937_64& engine) {
  return static_cast<double>(engine() >> 11) * (1.0 / 9007199254740992.0);
}

}  // namespace

GeneratorGuard::GeneratorGuard() : owner_(!t_holds) {
  if (owner_) {
    generator().mutex.lock();
    t_holds = true;
  }
}
GeneratorGuard::~GeneratorGuard() {
  if (owner_) {
    t_holds = false;
    generator().mutex.unlock();
  }
}

void manual_seed(uint64_t seed) {
  GeneratorGuard lock;
  generator().engine.seed(seed);
}

double random_uniform() {
  GeneratorGuard lock;
  return uniform_locked(generator().engine);
}

double random_normal(double mean, double std) {
  const double two_pi = 6.283185307179586;
  GeneratorGuard lock;  // the two uniforms are consecutive draws
  double u1 = 1.0 - uniform_locked(generator().engine);  // (0, 1]: log is finite
  double u2 = uniform_locked(generator().engine);
  return mean + std * std::sqrt(-2.0 * std::log(u1)) * std::cos(two_pi * u2);
}

int64_t random_int(int64_t low, int64_t high) {
  std::uniform_int_distribution<int64_t> dist(low, high - 1);
  GeneratorGuard lock;
  return dist(generator().engine);
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Acklam's rational approximation (relative error 1.2e-9), then one Halley step on Phi(x) - p with
// erfc, which brings it to full double precision.
double normal_quantile(double p) {
  if (!(p > 0.0)) return p == 0.0 ? -INFINITY : NAN;
  if (!(p < 1.0)) return p == 1.0 ? INFINITY : NAN;
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01,  -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  auto tail = [&](double q) {  // q = sqrt(-2 log(tail probability))
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  };
  double x;
  if (p < 0.02425) {
    x = tail(std::sqrt(-2.0 * std::log(p)));
  } else if (p > 1.0 - 0.02425) {
    x = -tail(std::sqrt(-2.0 * std::log1p(-p)));
  } else {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
  }
  const double e = normal_cdf(x) - p;
  const double u = e * 2.5066282746310002 * std::exp(0.5 * x * x);
  const double refined = x - u / (1.0 + 0.5 * x * u);
  return std::isfinite(refined) ? refined : x;  // exp overflows only below Phi ~ 1e-300: keep Acklam's value
}

// Values drawn in double, then cast to the options' dtype (float32 draws first round to float, as before).
static Tensor drawn(const Shape& shape, const TensorOptions& o, double (*draw)()) {
  if (!is_floating_point(o.dtype()))
    throw std::invalid_argument("randn/rand: the dtype must be floating, got " + dtype_name(o.dtype()));
  Tensor d = empty(shape, kFloat64);
  double* p = d.data_ptr<double>();
  for (int64_t i = 0; i < d.numel(); ++i) p[i] = o.dtype() == kFloat64 ? draw() : static_cast<float>(draw());
  Tensor t = o.dtype() == kFloat64 ? d : d.to(o.dtype());
  if (o.requires_grad()) t.requires_grad_(true);
  return t;
}
Tensor randn(const Shape& shape, const TensorOptions& o) {
  return drawn(shape, o, [] { return random_normal(0.0, 1.0); });
}
Tensor rand(const Shape& shape, const TensorOptions& o) { return drawn(shape, o, [] { return random_uniform(); }); }

Tensor randn(const Shape& shape) {
  Tensor t = empty(shape);
  GeneratorGuard lock;  // the values are one run of the sequence
  float* p = t.data_ptr<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>(random_normal(0.0, 1.0));
  return t;
}

Tensor rand(const Shape& shape) {
  Tensor t = empty(shape);
  GeneratorGuard lock;  // the values are one run of the sequence
  float* p = t.data_ptr<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>(random_uniform());
  return t;
}

Tensor rand_like(const Tensor& t) { return rand(t.shape(), TensorOptions(t.dtype())); }
Tensor randn_like(const Tensor& t) { return randn(t.shape(), TensorOptions(t.dtype())); }

// 0..n-1 shuffled by Fisher-Yates from the seeded generator (element i swapped with one of i..n-1).
Tensor randperm(int64_t n, const TensorOptions& options) {
  if (n < 0) throw std::invalid_argument("randperm: n " + std::to_string(n) + " is negative (expected n >= 0)");
  Tensor t = empty({n}, kInt64);
  int64_t* p = t.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  {
    GeneratorGuard lock;  // one run of the sequence
    for (int64_t i = 0; i + 1 < n; ++i) std::swap(p[i], p[random_int(i, n)]);
  }
  if (options.dtype() != kInt64) t = t.to(options.dtype());
  if (options.requires_grad()) t.requires_grad_(true);
  return t;
}

Tensor randint(int64_t low, int64_t high, const Shape& shape) {
  if (high <= low)
    throw std::invalid_argument("randint: empty range [" + std::to_string(low) + ", " + std::to_string(high) + ")");
  Tensor t = empty(shape, kInt64);
  GeneratorGuard lock;
  int64_t* p = t.data_ptr<int64_t>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = random_int(low, high);
  return t;
}

}  // namespace microtorch
