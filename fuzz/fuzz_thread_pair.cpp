// libFuzzer target: two threads running fuzzed op sequences at once. The input builds a shared pool of small
// tensors (read by both threads, written by neither), then is cut in two; each half drives one thread, which
// builds its own tensors from the shared ones and its own, applies ops (arithmetic, reductions, matmul,
// softmax, shape copies, comparisons, topk), draws from the global generator (randn, rand, randint, a
// module's init, dropout), allocates through the storage cache (tensors past 64 KB), writes its own tensors
// in place, and runs backward into leaves it made itself. The kernels' pool runs at 2 threads, so both
// threads' kernels share it. Invariants: as fuzz_ops (a result agrees with its shape, only the documented
// exceptions), and no fault the sanitizers see (ASan reports the heap corruption an unlocked generator,
// cache or pool leads to).
// Backward into a leaf both threads share is issue 30's item 1 (gradient accumulation from several threads);
// it runs only with MICROTORCH_FUZZ_SHARED_BACKWARD=1 in the environment.
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>
#include <microtorch/microtorch.h>

#include "common.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using fuzz::check_result;
using fuzz::guarded;
using fuzz::require;

const char* const fuzz::target = "fuzz_thread_pair";

namespace {

mt::Shape small_shape(FuzzedDataProvider& in) {
  mt::Shape s(in.ConsumeIntegralInRange<size_t>(0, 3));
  for (auto& d : s) d = in.ConsumeIntegralInRange<int64_t>(0, 6);
  return s;
}

// A thread's tensors: the shared pool (read only) and its own (which it may write and differentiate).
struct Lane {
  const std::vector<mt::Tensor>* shared;
  std::vector<mt::Tensor> own;

  mt::Tensor pick(FuzzedDataProvider& in) const {
    const bool from_own = !own.empty() && (shared->empty() || in.ConsumeBool());
    const auto& from = from_own ? own : *shared;
    if (from.empty() || in.ConsumeIntegralInRange<int>(0, 15) == 0) return mt::Tensor();
    return from[in.ConsumeIntegralInRange<size_t>(0, from.size() - 1)];
  }
  mt::Tensor pick_own(FuzzedDataProvider& in) const {
    if (own.empty()) return mt::Tensor();
    return own[in.ConsumeIntegralInRange<size_t>(0, own.size() - 1)];
  }
  void add(const mt::Tensor& t, const char* op) {
    check_result(t, op);
    if (!t.defined() || own.size() >= 10 || t.numel() > 4096) return;
    own.push_back(t);
  }
};

// One step of a thread: an op picked by the input.
void step(FuzzedDataProvider& in, Lane& lane) {
  switch (in.ConsumeIntegralInRange<int>(0, 15)) {
    case 0: guarded("randn", [&] {
        const mt::Shape s = small_shape(in);
        mt::Tensor t = mt::randn(s);
        if (in.ConsumeBool()) t.requires_grad_(true);
        lane.add(t, "randn");
      });
      break;
    case 1: guarded("binary", [&] {
        const mt::Tensor a = lane.pick(in), b = lane.pick(in);
        switch (in.ConsumeIntegralInRange<int>(0, 3)) {
          case 0: lane.add(a + b, "add"); break;
          case 1: lane.add(a - b, "sub"); break;
          case 2: lane.add(a * b, "mul"); break;
          default: lane.add(a / b, "div"); break;
        }
      });
      break;
    case 2: guarded("unary", [&] {
        const mt::Tensor a = lane.pick(in);
        switch (in.ConsumeIntegralInRange<int>(0, 3)) {
          case 0: lane.add(mt::tanh(a), "tanh"); break;
          case 1: lane.add(mt::relu(a), "relu"); break;
          case 2: lane.add(mt::exp(a), "exp"); break;
          default: lane.add(mt::sigmoid(a), "sigmoid"); break;
        }
      });
      break;
    case 3: guarded("sum", [&] {
        const mt::Tensor a = lane.pick(in);
        lane.add(in.ConsumeBool() ? a.sum() : a.sum(in.ConsumeIntegralInRange<int64_t>(-3, 3), in.ConsumeBool()), "sum");
      });
      break;
    case 4: guarded("matmul", [&] {
        const mt::Tensor a = lane.pick(in);
        lane.add(mt::matmul(a, lane.pick(in)), "matmul");
      });
      break;
    case 5: guarded("softmax", [&] {
        const mt::Tensor a = lane.pick(in);
        lane.add(mt::softmax(a, in.ConsumeIntegralInRange<int64_t>(-3, 3)), "softmax");
      });
      break;
    case 6: guarded("shape", [&] {
        const mt::Tensor a = lane.pick(in);
        switch (in.ConsumeIntegralInRange<int>(0, 3)) {
          case 0: lane.add(a.reshape({-1}), "reshape"); break;
          case 1: lane.add(a.transpose(in.ConsumeIntegralInRange<int64_t>(-2, 1), in.ConsumeIntegralInRange<int64_t>(-2, 1)), "transpose"); break;
          case 2: lane.add(mt::cat({a, lane.pick(in)}, in.ConsumeIntegralInRange<int64_t>(-2, 1)), "cat"); break;
          default: for (const auto& c : a.chunk(in.ConsumeIntegralInRange<int64_t>(1, 3))) lane.add(c, "chunk"); break;
        }
      });
      break;
    case 7: guarded("compare/where", [&] {
        const mt::Tensor a = lane.pick(in), b = lane.pick(in);
        const mt::Tensor m = a > in.ConsumeIntegralInRange<int>(-2, 2);
        lane.add(m, "gt");
        lane.add(mt::where(m, a, b), "where");
      });
      break;
    case 8: guarded("topk/max", [&] {
        const mt::Tensor a = lane.pick(in);
        auto [v, i] = mt::topk(a, in.ConsumeIntegralInRange<int64_t>(0, 2), -1);
        lane.add(v, "topk");
        lane.add(i, "topk indices");
        lane.add(mt::argmax(a, -1), "argmax");
      });
      break;
    case 9: guarded("module init", [&] {  // Linear's init draws from the global generator
        mt::nn::Linear lin(mt::nn::LinearOptions(in.ConsumeIntegralInRange<int64_t>(1, 8), in.ConsumeIntegralInRange<int64_t>(1, 8)));
        lane.add(lin.weight, "Linear");
        lane.add(lin(lane.pick(in)), "linear");
      });
      break;
    case 10: guarded("dropout", [&] {
        lane.add(F::dropout(lane.pick(in), F::DropoutFuncOptions().p(0.5).training(true)), "dropout");
      });
      break;
    case 11: guarded("big alloc", [&] {  // past 64 KB: the storage cache's path, from both threads
        const mt::Tensor big = mt::zeros({in.ConsumeIntegralInRange<int64_t>(16385, 262144)});
        lane.add(big.sum(), "big sum");
      });
      break;
    case 12: guarded("in place on own", [&] {  // only this thread's tensors are written
        mt::Tensor t = lane.pick_own(in);
        if (!t.defined() || t.dtype() != mt::kFloat32) return;
        mt::NoGradGuard no_grad;
        if (in.ConsumeBool()) t.mul_(2.0f);
        else t.add_(mt::ones(t.shape()));
      });
      break;
    case 13: guarded("backward of own", [&] {
        for (auto it = lane.own.rbegin(); it != lane.own.rend(); ++it)
          if (it->dtype() == mt::kFloat32 && it->requires_grad() && !it->is_leaf()) {
            it->sum().backward();
            return;
          }
      });
      break;
    case 14: guarded("randint/rand", [&] {
        lane.add(mt::randint(0, in.ConsumeIntegralInRange<int64_t>(1, 9), small_shape(in)), "randint");
        lane.add(mt::rand(small_shape(in)), "rand");
      });
      break;
    default: guarded("to/clone", [&] {
        const mt::Tensor a = lane.pick(in);
        lane.add(in.ConsumeBool() ? a.clone() : a.to(mt::kInt64), "to/clone");
      });
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool two_threads = (mt::set_num_threads(2), true);
  (void)two_threads;
  static const bool shared_backward = [] {
    const char* v = std::getenv("MICROTORCH_FUZZ_SHARED_BACKWARD");
    return v && std::string(v) == "1";
  }();
  FuzzedDataProvider in(data, size);
  mt::manual_seed(in.ConsumeIntegral<uint16_t>());
  std::vector<mt::Tensor> shared;
  const int n_shared = in.ConsumeIntegralInRange<int>(0, 4);
  for (int i = 0; i < n_shared; ++i) {
    mt::Tensor t = in.ConsumeBool() ? mt::randn(small_shape(in)) : mt::randint(-3, 4, small_shape(in));
    if (shared_backward && t.dtype() == mt::kFloat32 && in.ConsumeBool()) t.requires_grad_(true);
    shared.push_back(t);
  }
  // the rest of the input, cut in two: one half per thread
  const std::string rest = in.ConsumeRemainingBytesAsString();
  const size_t half = rest.size() / 2;
  Lane lanes[2] = {{&shared, {}}, {&shared, {}}};
  auto drive = [&](int k) {
    FuzzedDataProvider mine(reinterpret_cast<const uint8_t*>(rest.data()) + (k ? half : 0), k ? rest.size() - half : half);
    while (mine.remaining_bytes() > 0) step(mine, lanes[k]);
  };
  std::thread a(drive, 0), b(drive, 1);
  a.join();
  b.join();
  return 0;
}
