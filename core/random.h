// The one global random generator (seeded by manual_seed). randn, rand, randint and nn::init draw from it.
#pragma once
#include <cstdint>
#include <random>

namespace microtorch {

// The generator is locked, as PyTorch's: two threads drawing at once (building modules, dropout) each get
// whole draws of the one sequence. A draw takes the lock by itself; a GeneratorGuard holds it for a whole
// fill, so a tensor's values are one contiguous run of the sequence and the lock is taken once, not per
// element. Draws inside a guard, on its thread, do not lock again.
class GeneratorGuard {
 public:
  GeneratorGuard();
  ~GeneratorGuard();
  GeneratorGuard(const GeneratorGuard&) = delete;
  GeneratorGuard& operator=(const GeneratorGuard&) = delete;

 private:
  bool owner_;  // false when this thread already held the lock (a nested guard)
};

// Draws from the global generator. Normals use Box-Muller on two uniforms, so a seed gives the same
// numbers on every platform (std::normal_distribution does not promise that).
double random_uniform();                 // [0, 1)
double random_normal(double mean, double std);
int64_t random_int(int64_t low, int64_t high);  // [low, high)

// The standard normal's CDF Phi(x) and its inverse Phi^{-1}(p), accurate to ~1e-15 relative, also far
// in the lower tail (Phi(-37) ~ 6e-300), which is where trunc_normal_ samples.
double normal_cdf(double x);
double normal_quantile(double p);  // p in [0, 1]; -inf at 0, +inf at 1

}  // namespace microtorch
