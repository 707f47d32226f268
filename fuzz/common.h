// What the fuzz targets share: a finding (a message naming the target, then abort, so libFuzzer keeps the
// input), the exceptions the API documents, a guard that runs one call and lets only those through, the
// shape check every result passes, and the entry of a target that runs single-threaded.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>

#include <fuzzer/FuzzedDataProvider.h>
#include <microtorch/microtorch.h>

namespace fuzz {

// The target's name, at the start of its messages; each target defines it.
extern const char* const target;

// A broken invariant is a finding; `where` (an op's name) is optional.
inline void require(bool ok, const char* what, const char* where = nullptr) {
  if (ok) return;
  if (where) std::fprintf(stderr, "%s invariant broken in %s: %s\n", target, where, what);
  else std::fprintf(stderr, "%s invariant broken: %s\n", target, what);
  std::abort();
}

// The runtime_errors the API documents for ops: an allocation larger than the machine, an undefined tensor,
// a backward that cannot run.
inline bool documented_runtime_error(const std::string& what) {
  for (const char* documented : {"cannot allocate", "undefined", "does not require grad", "NoGradGuard", "backward: "})
    if (what.find(documented) != std::string::npos) return true;
  return false;
}

// What an op may throw: std::invalid_argument, std::out_of_range, or a documented std::runtime_error.
inline bool documented_op_error(const std::exception& e) {
  if (dynamic_cast<const std::invalid_argument*>(&e) || dynamic_cast<const std::out_of_range*>(&e)) return true;
  return dynamic_cast<const std::runtime_error*>(&e) && documented_runtime_error(e.what());
}

// Runs one call; an exception `accepted` lets through is fine, any other is a finding.
template <class Call>
void guarded(const char* name, Call call, bool (*accepted)(const std::exception&) = documented_op_error) {
  try {
    call();
  } catch (const std::exception& e) {
    if (accepted(e)) return;
    std::fprintf(stderr, "%s: %s threw an exception the API does not document: %s\n", target, name, e.what());
    std::abort();
  }
}

// A result's dimensions are not negative and multiply to its numel.
inline void check_result(const microtorch::Tensor& t, const char* op) {
  if (!t.defined()) return;
  int64_t n = 1;
  for (int64_t d : t.shape()) {
    require(d >= 0, "a result has a negative dimension", op);
    n *= d;
  }
  require(n == t.numel(), "numel differs from the product of the shape", op);
}

// The body of LLVMFuzzerTestOneInput for a target whose kernels run on one thread.
inline int run_single_threaded(const uint8_t* data, size_t size, void (*run)(FuzzedDataProvider&)) {
  static const bool single_thread = (microtorch::set_num_threads(1), true);
  (void)single_thread;
  FuzzedDataProvider in(data, size);
  run(in);
  return 0;
}

}  // namespace fuzz
