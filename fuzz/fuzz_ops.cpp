// libFuzzer target: random shapes (zero, negative, huge), dims and dtypes through the public ops. The
// input builds a small pool of tensors with factories, then applies ops from the table below to pool
// members and appends the results. Invariants: a call either returns a tensor whose numel and byte
// count agree with its shape, or throws std::invalid_argument / std::out_of_range (std::runtime_error
// only where the API documents it: an allocation larger than the machine, an undefined tensor, a
// backward that cannot run). A crash, a hang, a sanitizer report or any other exception is a finding.
// Rows: ops() below (API version 1) and ops_v2() in ops_v2_rows.h (version 2: what a GPT needs); to cover a
// new op, add a row there: a name and a lambda over (input, pool).
#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>
#include <microtorch/microtorch.h>
#include <sys/sysinfo.h>
#include <microtorch/core/ops/tensor_access.h>

#include "common.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using fuzz::guarded;
using fuzz::require;

const char* const fuzz::target = "fuzz_ops";

namespace {

// A dimension: mostly small, sometimes zero, negative or huge.
int64_t dim_from(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 9)) {
    case 0: return 0;
    case 1: return in.ConsumeIntegralInRange<int64_t>(-3, -1);
    case 2: return int64_t{1} << in.ConsumeIntegralInRange<int>(20, 62);
    case 3: return in.ConsumeBool() ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
    case 4: return in.ConsumeIntegral<int64_t>();
    default: return in.ConsumeIntegralInRange<int64_t>(1, 5);
  }
}

mt::Shape shape_from(FuzzedDataProvider& in, size_t max_rank = 4) {
  mt::Shape s(in.ConsumeIntegralInRange<size_t>(0, max_rank));
  for (auto& d : s) d = dim_from(in);
  return s;
}

// What a factory must do with a shape: build it, refuse it as impossible, or refuse it as too large for
// the machine. Shapes in between (a real allocation of more than kMaxBytes) are not tried: they would
// only measure the machine (libFuzzer counts a > 2 GB malloc as a finding).
enum class Expect { Build, Impossible, TooLarge, Skip };
constexpr long double kMaxBytes = 1 << 20;

Expect expect_for(const mt::Shape& shape, size_t element) {
  long double nonzero = 1, numel = 1;
  for (int64_t d : shape) {
    if (d < 0) return Expect::Impossible;
    if (d != 0) nonzero *= static_cast<long double>(d);
    numel *= static_cast<long double>(d);
  }
  const long double limit = static_cast<long double>(std::numeric_limits<int64_t>::max());
  if (nonzero > limit || numel * element > limit) return Expect::Impossible;
  if (numel * element <= kMaxBytes) return Expect::Build;
  struct sysinfo info {};
  ::sysinfo(&info);
  const long double memory = (static_cast<long double>(info.totalram) + info.totalswap) * info.mem_unit;
  return numel * element > memory ? Expect::TooLarge : Expect::Skip;
}

// fuzz::check_result, and the result's first and last byte are readable (ASan checks the extent).
void check_result(const mt::Tensor& t, const char* op) {
  fuzz::check_result(t, op);
  if (!t.defined()) return;
  volatile char sink = 0;
  if (t.numel() > 0) {
    const auto* p = static_cast<const char*>(mt::detail::raw_data(t));
    sink = static_cast<char>(p[0] + p[static_cast<size_t>(t.numel()) * mt::element_size(t.dtype()) - 1]);
  }
  (void)sink;
}

struct Pool {
  std::vector<mt::Tensor> tensors;
  mt::Tensor pick(FuzzedDataProvider& in) const {
    if (tensors.empty() || in.ConsumeIntegralInRange<int>(0, 15) == 0) return mt::Tensor();  // sometimes undefined
    return tensors[in.ConsumeIntegralInRange<size_t>(0, tensors.size() - 1)];
  }
  // Only small tensors become inputs, so no op (a broadcast, an outer product, a sum over an empty dim)
  // can ask for more than 1024^2 elements: the product of the non-zero dims counts, not numel, since
  // [0, 2^30].sum(0) is a legitimate 4 GB of zeros. Large results are still checked.
  void add(const mt::Tensor& t, const char* op) {
    check_result(t, op);
    if (!t.defined() || tensors.size() >= 12) return;
    int64_t extent = 1;
    for (int64_t d : t.shape())
      if (d > 0 && (d > 1024 || (extent *= d) > 1024)) return;
    tensors.push_back(t);
  }
};

mt::Dtype dtype_from(FuzzedDataProvider& in) {
  const int k = in.ConsumeIntegralInRange<int>(0, 3);
  return k == 1 ? mt::kInt64 : k == 2 ? mt::kInt32 : mt::kFloat32;
}

// A factory call on a fuzzed shape, with the expected outcome checked.
void factory(FuzzedDataProvider& in, Pool& pool) {
  const mt::Shape shape = shape_from(in);
  const int which = in.ConsumeIntegralInRange<int>(0, 6);
  const mt::Dtype dtype = which <= 1 ? dtype_from(in) : which == 5 ? mt::kInt64 : mt::kFloat32;
  const Expect expect = expect_for(shape, mt::element_size(dtype));
  if (expect == Expect::Skip) return;
  try {
    mt::Tensor t;
    switch (which) {
      case 0: t = mt::zeros(shape, dtype); break;
      case 1: t = mt::empty(shape, dtype); break;
      case 2: t = mt::ones(shape); break;
      case 3: t = mt::full(shape, in.ConsumeFloatingPoint<float>()); break;
      case 4: t = mt::randn(shape); break;
      case 5: t = mt::randint(-3, 8, shape); break;
      default: t = mt::rand(shape); break;
    }
    require(expect == Expect::Build, "a factory accepted an impossible or too large shape", "factory");
    require(t.shape() == shape && t.dtype() == dtype, "a factory built another shape or dtype", "factory");
    if (dtype == mt::kFloat32 && in.ConsumeBool()) t.requires_grad_(true);
    pool.add(t, "factory");
  } catch (const std::invalid_argument&) {
    require(expect == Expect::Impossible, "a factory refused a possible shape as impossible", "factory");
  } catch (const std::runtime_error& e) {
    require(expect == Expect::TooLarge && std::string(e.what()).find("cannot allocate") != std::string::npos,
            "a factory refused a shape it could build", "factory");
  }
}

using OpFn = std::function<mt::Tensor(FuzzedDataProvider&, const Pool&)>;
struct Op {
  const char* name;
  OpFn run;
};

int64_t small_or_wild(FuzzedDataProvider& in) {
  return in.ConsumeBool() ? in.ConsumeIntegralInRange<int64_t>(-4, 4) : dim_from(in);
}

// The ops of API version 1. Arguments come from the pool (any dtype, sometimes undefined).
const std::vector<Op>& ops() {
  static const std::vector<Op> table{
      {"view", [](FuzzedDataProvider& in, const Pool& p) { return p.pick(in).view(shape_from(in)); }},
      {"reshape -1", [](FuzzedDataProvider& in, const Pool& p) {
         mt::Shape s = shape_from(in, 3);
         s.insert(s.begin() + static_cast<long>(in.ConsumeIntegralInRange<size_t>(0, s.size())), -1);
         return p.pick(in).reshape(s);
       }},
      {"sum", [](FuzzedDataProvider& in, const Pool& p) { return p.pick(in).sum(); }},
      {"mean", [](FuzzedDataProvider& in, const Pool& p) { return p.pick(in).mean(); }},
      {"sum(dim)", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in);
         return a.sum(small_or_wild(in), in.ConsumeBool());
       }},
      {"mean(dim)", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in);
         return a.mean(small_or_wild(in), in.ConsumeBool());
       }},
      {"transpose", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in);
         const int64_t d0 = small_or_wild(in);
         return a.transpose(d0, small_or_wild(in));
       }},
      {"matmul", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in);
         return mt::matmul(a, p.pick(in));
       }},
      {"softmax", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in);
         return mt::softmax(a, small_or_wild(in));
       }},
      {"log_softmax", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in);
         return mt::log_softmax(a, small_or_wild(in));
       }},
      {"binary", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in), b = p.pick(in);
         switch (in.ConsumeIntegralInRange<int>(0, 3)) {
           case 0: return a + b;
           case 1: return a - b;
           case 2: return a * b;
           default: return a / b;
         }
       }},
      {"scalar", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in);
         const float s = in.ConsumeFloatingPoint<float>();
         switch (in.ConsumeIntegralInRange<int>(0, 4)) {
           case 0: return a + s;
           case 1: return s - a;
           case 2: return a * s;
           case 3: return s / a;
           default: return -a;
         }
       }},
      {"unary", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in);
         switch (in.ConsumeIntegralInRange<int>(0, 3)) {
           case 0: return mt::tanh(a);
           case 1: return mt::relu(a);
           case 2: return mt::exp(a);
           default: return mt::log(a);
         }
       }},
      {"clone/detach", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor a = p.pick(in);
         return in.ConsumeBool() ? a.clone() : a.detach();
       }},
      {"one_hot", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor ids = p.pick(in);
         const int64_t classes = small_or_wild(in);
         if (classes == -1) return mt::Tensor();  // counted from the ids: a wild id would ask for a huge table
         if (ids.defined() && classes > 0 && ids.numel() > 0 &&
             expect_for({ids.numel(), classes}, 8) == Expect::Skip)  // int64 rows
           return mt::Tensor();
         return mt::one_hot(ids, classes);
       }},
      {"embedding", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor ids = p.pick(in), weight = p.pick(in);
         F::EmbeddingFuncOptions o;
         if (in.ConsumeBool()) o.padding_idx(small_or_wild(in));
         if (in.ConsumeBool()) o.max_norm(in.ConsumeFloatingPoint<double>()).norm_type(in.ConsumeFloatingPoint<double>());
         o.scale_grad_by_freq(in.ConsumeBool()).sparse(in.ConsumeBool());
         return F::embedding(ids, weight, o);
       }},
      {"linear", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor x = p.pick(in), w = p.pick(in);
         return F::linear(x, w, in.ConsumeBool() ? p.pick(in) : mt::Tensor());
       }},
      {"cross_entropy", [](FuzzedDataProvider& in, const Pool& p) {
         const mt::Tensor logits = p.pick(in), targets = p.pick(in);
         return F::cross_entropy(logits, targets, F::CrossEntropyFuncOptions().ignore_index(small_or_wild(in)));
       }},
      {"sparse_grad", [](FuzzedDataProvider& in, const Pool& p) { return mt::sparse_grad(p.pick(in)).values; }},
      {"item", [](FuzzedDataProvider& in, const Pool& p) {
         (void)p.pick(in).item<float>();
         return mt::Tensor();
       }},
  };
  return table;
}

#include "ops_v2_rows.h"

// Both tables as one: a fuzzed index picks the row.
const std::vector<Op>& all_ops() {
  static const std::vector<Op> table = [] {
    std::vector<Op> all = ops();
    all.insert(all.end(), ops_v2().begin(), ops_v2().end());
    return all;
  }();
  return table;
}

void run(FuzzedDataProvider& in) {
  static const bool trace = std::getenv("FUZZ_TRACE") != nullptr;  // prints each op's name: replaying a finding
  mt::manual_seed(in.ConsumeIntegral<uint16_t>());
  Pool pool;
  const int factories = in.ConsumeIntegralInRange<int>(1, 4);
  for (int i = 0; i < factories; ++i) guarded("factory", [&] { factory(in, pool); });
  const auto& table = all_ops();
  while (in.remaining_bytes() > 0) {
    const Op& op = table[in.ConsumeIntegralInRange<size_t>(0, table.size() - 1)];
    if (trace) std::fprintf(stderr, "op %s\n", op.name);
    guarded(op.name, [&] { pool.add(op.run(in, pool), op.name); });
  }
  // Backward through whatever was recorded: one float result that requires grad, summed.
  for (auto it = pool.tensors.rbegin(); it != pool.tensors.rend(); ++it)
    if (it->dtype() == mt::kFloat32 && it->requires_grad() && !it->is_leaf()) {
      guarded("backward", [&] { it->sum().backward(); });
      break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz::run_single_threaded(data, size, run);
}
