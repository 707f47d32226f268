// Pinning the pool's threads under OMP_PROC_BIND (thread_binding.h). Why: on a VM an idle CPU is halted, and
// the scheduler may place a worker woken after a pause on the caller's own CPU, where it stays for the whole
// next burst of ops, which then run at one thread's speed. Pinned (the caller to its CPU, worker k to the k-th
// CPU after it), each keeps its own CPU. Off by default, as in PyTorch: pinning the caller's thread is the
// user's call.
#include "thread_binding.h"

#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

namespace microtorch::kernels {

bool thread_binding_requested() {
  static const bool on = [] {
    const char* v = std::getenv("OMP_PROC_BIND");
    return v != nullptr && *v != '\0' && std::strcmp(v, "false") != 0 && std::strcmp(v, "FALSE") != 0;
  }();
  return on;
}

namespace {
// The mask of the first thread bind_this_thread pinned, as it was before: what the process could use.
std::once_flag g_original_once;
cpu_set_t g_original;
bool g_original_known = false;
}  // namespace

bool bind_this_thread(int first, int k) {
  std::call_once(g_original_once, [] { g_original_known = sched_getaffinity(0, sizeof g_original, &g_original) == 0; });
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  if (online < 1 || online > CPU_SETSIZE) return false;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(static_cast<int>((first + k) % online), &set);
  return sched_setaffinity(0, sizeof set, &set) == 0;  // refused: a cpuset without that CPU
}

int current_cpu() {
  const int cpu = sched_getcpu();
  return cpu < 0 ? 0 : cpu;
}

UnpinnedScope::UnpinnedScope() {
  if (!g_original_known || sched_getaffinity(0, sizeof saved_, &saved_) != 0) return;
  widened_ = sched_setaffinity(0, sizeof g_original, &g_original) == 0;
}

UnpinnedScope::~UnpinnedScope() {
  if (widened_) sched_setaffinity(0, sizeof saved_, &saved_);
}

}  // namespace microtorch::kernels
