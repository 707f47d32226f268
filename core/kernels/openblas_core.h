// Internal: which of OpenBLAS's SGEMM kernels the process uses (openblas_core.cpp says why).
#pragma once

namespace microtorch::kernels {

// Once per process, before the first SGEMM: OpenBLAS's AVX-512 kernels where it picked AVX2 ones on an AVX-512
// CPU, unless OPENBLAS_CORETYPE is set. Cheap after the first call.
void choose_blas_kernels();

// OpenBLAS's name for the kernels in use ("SkylakeX", "Haswell", ...), for the bench's header.
const char* blas_core_name();

}  // namespace microtorch::kernels
