// What the tests share: leaves to differentiate, gradcheck naming the op, a tensor's values against numbers
// (within a tolerance, bit for bit, or as a one-line report), random floats, a guard that restores the thread
// count, a scratch directory, and the check that a call is refused with the right exception and words.
#pragma once
#include <catch2/catch.hpp>
#include <microtorch/core/ops/tensor_access.h>
#include <microtorch/microtorch.h>

#include <dirent.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace helpers {

namespace mt = microtorch;
using Inputs = std::vector<mt::Tensor>;
using Floats = std::vector<float>;

// --- leaves and gradcheck ---

// A leaf of uniform values in [lo, hi), requiring grad.
inline mt::Tensor leaf(const mt::Shape& shape, float lo = -1.0f, float hi = 1.0f) {
  return (mt::rand(shape) * (hi - lo) + lo).detach().requires_grad_(true);
}

// A leaf of standard normal values, requiring grad.
inline mt::Tensor randn_leaf(const mt::Shape& shape) { return mt::randn(shape).requires_grad_(true); }

// A 1-D leaf holding `values`, requiring grad.
inline mt::Tensor leaf_of(const std::vector<float>& values) {
  return mt::tensor(values, {static_cast<int64_t>(values.size())}).requires_grad_(true);
}

// f's gradients at xs against central finite differences; a failure names the op, input and index.
inline void require_gradcheck(const std::string& op, const std::function<mt::Tensor(const Inputs&)>& f,
                              const Inputs& xs) {
  const mt::autograd::GradcheckResult r = mt::autograd::gradcheck(f, xs, op);
  INFO(r.message());
  REQUIRE(r.ok);
}

// `steps` optimizer steps on sum((w - t_k)^2), t_k = target + 0.25 k: a quadratic whose minimum moves each step.
template <class Opt>
void quadratic_steps(mt::Tensor w, Opt& opt, int steps, float target) {
  for (int k = 0; k < steps; ++k) {
    opt.zero_grad();
    auto d = w - mt::full(w.shape(), target + 0.25f * static_cast<float>(k));
    (d * d).sum().backward();
    opt.step();
  }
}

// --- values ---

// [[1, 2, 3], [4, 5, 6]]: the matrix the op tests work through by hand.
inline mt::Tensor a23() { return mt::tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}); }

// A float tensor 0, 1, 2, ... of the shape.
inline mt::Tensor iota(const mt::Shape& shape) {
  return mt::arange(mt::shape_numel(shape)).to(mt::kFloat32).reshape(shape);
}

// Every value within 1e-6 of want, absolute or relative to |want|.
inline void require_values(const mt::Tensor& t, const std::vector<float>& want) {
  REQUIRE(t.defined());
  const std::vector<float> got = t.to_vector<float>();
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("flat index " << i);
    REQUIRE(got[i] == Approx(want[i]).margin(1e-6).epsilon(1e-6));
  }
}

// The shape as given, and every value as require_values(t, want).
inline void require_values(const mt::Tensor& t, const mt::Shape& shape, const std::vector<float>& want) {
  REQUIRE(t.defined());
  REQUIRE(t.shape() == shape);
  require_values(t, want);
}

// The float32 values as their bit patterns, for exact comparisons (-0.0 != 0.0, NaN == same NaN).
inline std::vector<uint32_t> bits(const mt::Tensor& t) {
  std::vector<uint32_t> out(static_cast<size_t>(t.numel()));
  if (!out.empty()) std::memcpy(out.data(), t.data_ptr<float>(), out.size() * sizeof(float));
  return out;
}

inline bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

// "" when got has `shape` and matches want element-wise with |got - want| <= atol + rtol * |want| (atol = rtol = 0:
// bit-exact), else a line naming what, the shape or the first bad index, got and want.
inline std::string mismatch(const mt::Tensor& got, const mt::Shape& shape, const std::vector<double>& want, double atol,
                            double rtol, const std::string& what) {
  if (!got.defined()) return what + ": undefined tensor";
  if (got.shape() != shape) return what + ": shape " + mt::shape_str(got.shape()) + ", want " + mt::shape_str(shape);
  const std::vector<float> g = got.to_vector<float>();
  const bool exact = atol == 0.0 && rtol == 0.0;
  for (size_t i = 0; i < g.size(); ++i) {
    const bool ok = exact ? g[i] == static_cast<float>(want[i])
                          : std::fabs(double(g[i]) - want[i]) <= atol + rtol * std::fabs(want[i]);
    if (!ok) {
      std::ostringstream s;
      s.precision(9);
      s << what << "[" << i << "]: got " << g[i] << ", want " << want[i] << (exact ? " (bit-exact)" : "");
      return s.str();
    }
  }
  return "";
}

inline std::string mismatch(const mt::Tensor& got, const mt::Tensor& want, double atol, double rtol,
                            const std::string& what) {
  const std::vector<float> w = want.to_vector<float>();
  return mismatch(got, want.shape(), std::vector<double>(w.begin(), w.end()), atol, rtol, what);
}

// n uniform floats in [lo, hi) from rng.
inline std::vector<float> random_floats(std::mt19937& rng, int64_t n, float lo = -2.0f, float hi = 2.0f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = d(rng);
  return v;
}

// --- state ---

// t += v through the raw data, as an optimizer, a clip or a hand-written penalty writes a gradient in place.
inline void add_in_place(const mt::Tensor& t, float v) {
  float* p = t.data_ptr<float>();
  for (int64_t k = 0; k < t.numel(); ++k) p[k] += v;
}

// Restores the thread count a test changed, also when it fails.
struct ThreadsGuard {
  int saved = mt::get_num_threads();
  ~ThreadsGuard() { mt::set_num_threads(saved); }
};

// A tensor's bits, version and gradient state, to compare before and after a refused call.
struct Snapshot {
  explicit Snapshot(const mt::Tensor& w)
      : bits(helpers::bits(w)), version(mt::detail::impl_ptr(w)->storage->version), had_grad(w.grad().defined()) {}
  bool operator==(const Snapshot& o) const { return bits == o.bits && version == o.version && had_grad == o.had_grad; }
  std::vector<uint32_t> bits;
  uint64_t version;
  bool had_grad;
};

// "" when f throws E whose message holds every string of `must`, else what went wrong.
template <class E>
std::string rejects(const std::function<void()>& f, const std::vector<std::string>& must) {
  try {
    f();
  } catch (const E& e) {
    const std::string m = e.what();
    for (const auto& s : must)
      if (m.find(s) == std::string::npos) return "message lacks '" + s + "': " + m;
    return "";
  } catch (const std::exception& e) {
    return std::string("wrong exception type: ") + e.what();
  }
  return "no exception";
}

// The names of a named list (named_parameters(), named_buffers(), named_modules(), ...), in its order.
template <class Named> std::vector<std::string> names(const Named& named) {
  std::vector<std::string> out;
  for (const auto& entry : named) out.push_back(entry.first);
  return out;
}

// A fresh directory under the system temp folder, removed with its files at scope end.
struct TempDir {
  TempDir() {
    std::string pattern = (std::getenv("TMPDIR") ? std::string(std::getenv("TMPDIR")) : "/tmp") + "/mt_test_XXXXXX";
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    for (const std::string& name : files()) std::remove((path + "/" + name).c_str());
    ::rmdir(path.c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    if (DIR* d = ::opendir(path.c_str())) {
      while (dirent* e = ::readdir(d))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.push_back(e->d_name);
      ::closedir(d);
    }
    return out;
  }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
  std::string path;
};

}  // namespace helpers
