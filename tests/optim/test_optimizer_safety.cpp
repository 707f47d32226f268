// Optimizers change nothing when they fail halfway: a step that runs out of memory has moved no parameter
// and counted no step (everything it allocates is allocated before the first parameter moves, as PyTorch
// initialises its state), and a loaded state that would turn every later step into NaN is refused whole.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <functional>
#include <vector>

namespace mt = microtorch;

namespace {

// Caps this process's address space at what it uses now plus `extra` bytes.
void cap_address_space(size_t extra) {
  long pages = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {  // the first field: the address space, in pages
    if (std::fscanf(f, "%ld", &pages) != 1) pages = 0;
    std::fclose(f);
  }
  rlimit cap{};
  getrlimit(RLIMIT_AS, &cap);
  cap.rlim_cur = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + extra;
  setrlimit(RLIMIT_AS, &cap);
}

// Runs body in a forked child (with the storage cache off, so every allocation asks the system) and returns
// its verdict: body's return value, 10 for an exception that escaped it, -1 if the child crashed.
int in_child(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid == 0) {
    int code = 10;
    try {
      mt::set_storage_cache_enabled(false);
      code = body();
    } catch (...) {
    }
    _exit(code);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;  // ASan reserves terabytes of shadow: a cap on the address space fails it
#else
constexpr bool kAddressSanitizer = false;
#endif

// A small parameter, then a large one whose first-step state cannot be allocated: the address space is
// capped, after the backward, at `extra` bytes more than it uses. 0: the small parameter did not move.
template <class Opt>
int step_out_of_memory(size_t extra, const std::function<Opt(const std::vector<mt::Tensor>&)>& make) {
  mt::Tensor small = mt::ones({4}).requires_grad_(true);
  mt::Tensor large = mt::ones({64, 1024, 1024}).requires_grad_(true);  // 256 MB
  Opt opt = make({small, large});
  (small.sum() + large.sum()).backward();
  cap_address_space(extra);
  try {
    opt.step();
    return 2;  // the cap did not bite: no verdict
  } catch (const std::exception&) {
  }
  for (float v : small.to_vector<float>())
    if (v != 1.0f) return 1;  // the first parameter moved
  return 0;
}

}  // namespace

TEST_CASE("optim: a step that runs out of memory moves no parameter (Adam, AdamW, SGD with momentum)") {
  if (kAddressSanitizer) {
    SUCCEED("skipped under AddressSanitizer, which cannot run under a capped address space");
    return;
  }
  const size_t room = size_t{128} << 20;  // less than the large parameter's first moment or buffer (256 MB)
  CHECK(in_child([&] {
          return step_out_of_memory<mt::optim::Adam>(room, [](auto p) { return mt::optim::Adam(p, mt::optim::AdamOptions(0.1)); });
        }) == 0);
  CHECK(in_child([&] {
          return step_out_of_memory<mt::optim::AdamW>(room, [](auto p) { return mt::optim::AdamW(p, mt::optim::AdamWOptions(0.1)); });
        }) == 0);
  CHECK(in_child([&] {
          return step_out_of_memory<mt::optim::SGD>(
              room, [](auto p) { return mt::optim::SGD(p, mt::optim::SGDOptions(0.1).momentum(0.9)); });
        }) == 0);
}

TEST_CASE("optim: Adam's step count stays 0 when its first step runs out of memory") {
  if (kAddressSanitizer) {
    SUCCEED("skipped under AddressSanitizer, which cannot run under a capped address space");
    return;
  }
  CHECK(in_child([] {
          mt::Tensor small = mt::ones({4}).requires_grad_(true);
          mt::Tensor large = mt::ones({64, 1024, 1024}).requires_grad_(true);
          mt::optim::Adam opt({small, large}, mt::optim::AdamOptions(0.1));
          (small.sum() + large.sum()).backward();
          cap_address_space(size_t{128} << 20);
          try {
            opt.step();
            return 2;
          } catch (const std::exception&) {
          }
          return opt.param_state(0).step == 0 && opt.param_state(1).step == 0 ? 0 : 1;
        }) == 0);
}

TEST_CASE("optim: an SGD momentum buffer that is not finite is refused on load, and nothing changes") {
  mt::Tensor w = mt::zeros({3}).requires_grad_(true);
  mt::optim::SGD sgd({w}, mt::optim::SGDOptions(0.1).momentum(0.9));
  (w * 2.0f).sum().backward();
  sgd.step();
  const std::vector<float> buffer = sgd.momentum_buffers()[0].to_vector<float>();
  for (float bad : {NAN, INFINITY}) {
    try {
      sgd.load_state({{"momentum_buffer.0", mt::tensor(std::vector<float>{0.0f, bad, 0.0f}, {3})}});
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      CHECK_THAT(e.what(), Catch::Contains("'momentum_buffer.0'") && Catch::Contains("flat index 1") &&
                               Catch::Contains("finite"));
    }
    CHECK(sgd.momentum_buffers()[0].to_vector<float>() == buffer);
  }
}
