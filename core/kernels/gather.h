// The embedding's gather: out (n, C) <- rows of w (V, C) picked by ids (n), ids already checked.
// The plain loop it speeds up is gather_rows_reference: one memcpy per row.
#pragma once
#include <cstdint>

namespace microtorch::kernels {

// Rows split across threads; an output far larger than the caches is streamed around them.
void gather_rows(float* out, const float* w, const int64_t* ids, int64_t n, int64_t C);
void gather_rows_reference(float* out, const float* w, const int64_t* ids, int64_t n, int64_t C);

}  // namespace microtorch::kernels
