// Internal: software prefetch of a row that a loop over randomly placed rows (a gather, a scatter, a row
// update) will touch a few iterations later; the hardware prefetcher cannot guess where a row starts.
#pragma once
#include <cstdint>

namespace microtorch::kernels {

constexpr int64_t kRowsAhead = 8;  // how many rows ahead to prefetch (tuned on the gather bench)

// Asks for every 64-byte line of the `bytes` at p; `for_write` when the loop will store there.
inline void prefetch_row(const void* p, int64_t bytes, bool for_write = false) {
  const char* c = static_cast<const char*>(p);
  for (int64_t b = 0; b < bytes; b += 64) {
    if (for_write) __builtin_prefetch(c + b, 1);
    else __builtin_prefetch(c + b, 0);
  }
}

// Asks for the line `bytes` past p, for a loop streaming through memory faster than the hardware prefetcher
// fetches (a sum reading one array). The address may lie past the array's end: it is computed as an integer,
// so no out-of-range pointer is formed, and a prefetch never faults.
inline void prefetch_ahead(const void* p, int64_t bytes) {
  __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(p) + static_cast<uintptr_t>(bytes)), 0);
}

}  // namespace microtorch::kernels
