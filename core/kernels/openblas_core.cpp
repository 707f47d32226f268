// Speeds up gemm() (core/ops/matmul.cpp), which calls OpenBLAS's SGEMM as it is: this only chooses which of
// OpenBLAS's own kernels that call runs.
// OpenBLAS picks its kernels by CPU when it loads. Version 0.3.21 (Debian 12) knows no AMD CPU with AVX-512 and
// takes its AVX2 (Haswell) kernels there, although its SkylakeX kernels run on any CPU with AVX-512 F, BW, DQ
// and VL; later releases pick them for Zen 4. On this project's EPYC machines they are ~1.8x faster (SGEMM on
// the GPT lesson's shapes: 100 -> 180 GFLOP/s, one thread). So, once, before microtorch's first SGEMM: if
// OpenBLAS has runtime kernel choice (DYNAMIC_ARCH: the functions below exist), the user set no
// OPENBLAS_CORETYPE (setting it, to any core, keeps OpenBLAS's own choice), OpenBLAS chose Haswell or Zen and
// the CPU and OS support AVX-512, re-run OpenBLAS's own kernel choice as OPENBLAS_CORETYPE=SkylakeX would.
// The switch is process-wide: other users of OpenBLAS in the process (libtorch in bench/) get the same kernels.
#include <cstdlib>
#include <cstring>

#include "openblas_core.h"

extern "C" {
// Weak: a BLAS without them (not OpenBLAS, or OpenBLAS built for one CPU) leaves these null.
char* openblas_get_corename(void) __attribute__((weak));
void gotoblas_dynamic_init(void) __attribute__((weak));
void gotoblas_dynamic_quit(void) __attribute__((weak));
}

namespace microtorch::kernels {

static bool cpu_has_avx512() {
#if defined(__x86_64__) && defined(__GNUC__)
  // libgcc's checks include the OS saving the AVX-512 registers (XCR0).
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#else
  return false;
#endif
}

static bool switch_to_avx512_kernels() {
  if (!openblas_get_corename || !gotoblas_dynamic_init || !gotoblas_dynamic_quit) return false;
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return false;
  const char* core = openblas_get_corename();
  if (core == nullptr || (std::strcmp(core, "Haswell") != 0 && std::strcmp(core, "Zen") != 0)) return false;
  if (!cpu_has_avx512()) return false;
  // gotoblas_dynamic_init() reads OPENBLAS_CORETYPE, as at load; the variable is removed again afterwards.
  setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
  gotoblas_dynamic_quit();
  gotoblas_dynamic_init();
  unsetenv("OPENBLAS_CORETYPE");
  return std::strcmp(openblas_get_corename(), "SkylakeX") == 0;
}

void choose_blas_kernels() {
  static const bool switched = switch_to_avx512_kernels();  // once, thread-safe (a function-local static)
  (void)switched;
}

const char* blas_core_name() { return openblas_get_corename ? openblas_get_corename() : "not OpenBLAS"; }

}  // namespace microtorch::kernels
