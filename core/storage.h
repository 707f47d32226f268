// The storage allocator: make_storage (declared in tensor.h) and the cache of freed blocks behind it.
// A storage above 64 KB takes its bytes from a cache of freed blocks, kept in size classes (1/8 of a power
// of two apart), so a training loop that frees and re-allocates the same sizes every step gets its blocks
// back without asking the kernel for fresh pages (a fresh buffer costs one page fault per 4 KB). A request
// takes the smallest cached class that holds it, up to twice its own (best fit). The cache never holds more
// than the peak of bytes in use at once (a miss that would pass it frees cached blocks first), so live +
// cached stays within twice the peak: a tighter bound (live + cached within the peak) makes a training step
// evict blocks it needs a moment later. Small storages use the plain heap (glibc's own bins already recycle
// them without page faults).
// Off with MICROTORCH_NO_CACHE=1 in the environment, in sanitizer builds, or by set_storage_cache_enabled.
#pragma once
#include <cstddef>
#include <cstdint>

namespace microtorch {

struct StorageCacheStats {
  size_t live_bytes = 0;    // in cached-size-class blocks handed out now
  size_t cached_bytes = 0;  // freed blocks kept for reuse
  size_t peak_bytes = 0;    // the most live_bytes has been: the bound of live + cached
  uint64_t hits = 0, misses = 0;
};
StorageCacheStats storage_cache_stats();

// Off: blocks freed from then on go back to the system, and the cache is emptied. Default: on, unless
// MICROTORCH_NO_CACHE=1 or built with AddressSanitizer (so it sees every use after free).
void set_storage_cache_enabled(bool on);
bool storage_cache_enabled();
void empty_storage_cache();  // frees every cached block (as torch.cuda.empty_cache)

}  // namespace microtorch
