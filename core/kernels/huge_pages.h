// Large storage blocks on 2 MB pages. The plain path it speeds up is
// storage.cpp's `::operator new(bytes, 64-byte aligned)` on 4 KB pages.
#pragma once
#include <cstddef>

namespace microtorch::kernels {

// Blocks of at least this many bytes go on 2 MB pages.
constexpr size_t kHugePageMinBytes = size_t(4) << 20;

// A block of `bytes` (>= kHugePageMinBytes), 2 MB-aligned and advised onto 2 MB pages; free it with
// free_huge(p).
void* alloc_huge(size_t bytes);
void free_huge(void* p);

}  // namespace microtorch::kernels
