// make_storage and the storage cache (storage.h). The plain path it speeds up: `::operator new(n)` for
// each storage's bytes and `::operator delete` when the last handle goes.
#include "storage.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <vector>

#include <pthread.h>

#include "kernels/huge_pages.h"
#include "tensor.h"

#if defined(__SANITIZE_ADDRESS__)
#define MICROTORCH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MICROTORCH_ASAN 1
#endif
#endif

namespace microtorch {

using kernels::alloc_huge;
using kernels::free_huge;
using kernels::kHugePageMinBytes;

// Hands allocate_shared blocks `extra` bytes longer than it asks for, so the storage's bytes fit behind
// the control block and the Storage in it: one heap allocation per storage, not two. A plain allocation
// (aligned ones cost glibc a memalign split each time); make_storage aligns the bytes inside the slack.
template <class T> struct TailAllocator {
  using value_type = T;
  size_t extra;
  explicit TailAllocator(size_t e) : extra(e) {}
  template <class U> TailAllocator(const TailAllocator<U>& o) : extra(o.extra) {}
  T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T) + extra)); }
  void deallocate(T* p, size_t) { ::operator delete(p); }
  template <class U> bool operator==(const TailAllocator<U>& o) const { return extra == o.extra; }
  template <class U> bool operator!=(const TailAllocator<U>& o) const { return extra != o.extra; }
};

// Up to this size the bytes share the header's allocation (and glibc's bins recycle them). Larger ones
// get their own block, from the cache.
static constexpr size_t kInlineBytes = 64 << 10;

namespace {

// bytes rounded up to its size class: a multiple of 1/8 of the largest power of two <= bytes
size_t size_class(size_t bytes) {
  size_t p = 1;
  while (p <= bytes / 2) p *= 2;
  const size_t step = std::max<size_t>(p / 8, 64);
  return (bytes + step - 1) / step * step;
}

// Large blocks on 2 MB pages (huge_pages.cpp); the rest 64-byte aligned.
void* system_alloc(size_t bytes) {
  return bytes >= kHugePageMinBytes ? alloc_huge(bytes) : ::operator new(bytes, std::align_val_t(64));
}
void system_free(void* p, size_t bytes) {
  if (bytes >= kHugePageMinBytes) free_huge(p);
  else ::operator delete(p, std::align_val_t(64));
}

bool enabled_by_default() {
#ifdef MICROTORCH_ASAN
  return false;
#else
  const char* v = std::getenv("MICROTORCH_NO_CACHE");
  return !(v && std::strcmp(v, "") != 0 && std::strcmp(v, "0") != 0);
#endif
}

// The cache: the one allocator-wide state (named in STYLE.md's globals). Guarded by its mutex, since
// kernels' worker threads may free storages too.
struct Cache {
  std::mutex mutex;
  bool enabled = enabled_by_default();
  std::map<size_t, std::vector<void*>> free_blocks;  // size class -> freed blocks of that class
  StorageCacheStats stats;

  // Frees cached blocks, largest classes first, until at most `keep` bytes stay cached.
  void trim(size_t keep) {
    while (stats.cached_bytes > keep && !free_blocks.empty()) {
      auto it = std::prev(free_blocks.end());
      system_free(it->second.back(), it->first);
      it->second.pop_back();
      stats.cached_bytes -= it->first;
      if (it->second.empty()) free_blocks.erase(it);
    }
  }

  // A block of at least n bytes; *block gets its size (n's size class, or n itself when the cache is off,
  // so a sanitizer sees the exact end).
  void* alloc(size_t n, size_t* block) {
    std::lock_guard<std::mutex> lock(mutex);
    const size_t cls = *block = enabled ? size_class(n) : n;
    // Best fit: the smallest cached class that holds n, if at most twice n's class. Exact classes alone
    // thrash: a step's sizes differ from moment to moment, and under the peak bound a miss evicts blocks
    // the next moment needs, and each miss page-faults a fresh block.
    auto it = free_blocks.lower_bound(cls);
    if (it != free_blocks.end() && it->first <= 2 * cls) {
      void* p = it->second.back();
      *block = it->first;
      it->second.pop_back();
      if (it->second.empty()) free_blocks.erase(it);
      stats.cached_bytes -= *block;
      stats.live_bytes += *block;
      stats.peak_bytes = std::max(stats.peak_bytes, stats.live_bytes);
      ++stats.hits;
      return p;
    }
    stats.live_bytes += cls;
    stats.peak_bytes = std::max(stats.peak_bytes, stats.live_bytes);
    ++stats.misses;
    trim(stats.peak_bytes);  // cached stays within the peak of live bytes, so live + cached within twice it
    return system_alloc(cls);
  }

  void release(void* p, size_t cls) {
    std::lock_guard<std::mutex> lock(mutex);
    stats.live_bytes -= cls;
    if (!enabled) return system_free(p, cls);
    free_blocks[cls].push_back(p);
    stats.cached_bytes += cls;
  }
};

// fork() copies only the calling thread: had another thread held the mutex at that moment, the child's copy
// would stay locked and its first large allocation would wait forever. So the mutex is taken before the
// fork (no thread is then inside the cache) and released on both sides after it, as the thread pool's own
// handler does for the pool (kernels/parallel.cpp). The cache and its handlers are made when the library is
// loaded, before main() starts a thread: made lazily, a fork() during the first use copied a half-made
// static into the child, which then waited forever for its initialisation to finish.
Cache* g_cache = nullptr;  // never destroyed: storages freed during static destruction still find it
void lock_before_fork() { g_cache->mutex.lock(); }
void unlock_after_fork() { g_cache->mutex.unlock(); }

Cache& cache() {
  if (!g_cache) g_cache = new Cache;  // only before main(), single-threaded (below, or an earlier static's use)
  return *g_cache;
}

[[maybe_unused]] const bool g_cache_ready = [] {
  cache();
  pthread_atfork(lock_before_fork, unlock_after_fork, unlock_after_fork);
  return true;
}();

}  // namespace

std::shared_ptr<Storage> make_storage(size_t n) {
  if (n > kInlineBytes) {
    auto s = std::make_shared<Storage>(n);
    s->data = cache().alloc(n, &s->block_bytes);
    s->owns_data = true;
    return s;
  }
  // room for the bytes (at least 64, so even an empty tensor has a valid pointer) and for aligning them
  const size_t extra = std::max<size_t>(n, 64) + 63;
  auto s = std::allocate_shared<Storage>(TailAllocator<Storage>(extra), n);
  // the bytes start at the first 64-byte boundary past the Storage, which lies inside the block
  const auto end = reinterpret_cast<uintptr_t>(s.get() + 1);
  s->data = reinterpret_cast<void*>((end + 63) & ~uintptr_t{63});
  return s;
}

Storage::~Storage() {
  if (owns_data) cache().release(data, block_bytes);
}

StorageCacheStats storage_cache_stats() {
  std::lock_guard<std::mutex> lock(cache().mutex);
  return cache().stats;
}

void set_storage_cache_enabled(bool on) {
  std::lock_guard<std::mutex> lock(cache().mutex);
  cache().enabled = on;
  if (!on) cache().trim(0);
}

bool storage_cache_enabled() {
  std::lock_guard<std::mutex> lock(cache().mutex);
  return cache().enabled;
}

void empty_storage_cache() {
  std::lock_guard<std::mutex> lock(cache().mutex);
  cache().trim(0);
}

}  // namespace microtorch
