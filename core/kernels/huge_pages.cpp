// Large storage blocks on 2 MB pages (huge_pages.h). The plain path it speeds up: storage.cpp's
// `::operator new(bytes, 64-byte aligned)`, whose 4 KB pages cost a TLB miss, and a page walk, for nearly
// every row a gather or a sparse step touches in a (50257, 768) table (154 MB in 4 KB pages is 37,700
// pages; the TLB holds a few thousand). On 2 MB pages the same table is 77 pages, and a fresh block
// faults once per 2 MB instead of once per 4 KB. Linux only hands 2 MB pages to regions that ask for them
// (transparent_hugepage = madvise here); elsewhere, or if the kernel has none free, the advice is ignored
// and the block is an ordinary one.
#include "huge_pages.h"

#include <new>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace microtorch::kernels {

namespace {
constexpr size_t kHugePage = size_t(2) << 20;
size_t whole_pages(size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }
}  // namespace

void* alloc_huge(size_t bytes) {
  const size_t size = whole_pages(bytes);  // whole 2 MB pages: no neighbour shares the last one
  void* p = ::operator new(size, std::align_val_t(kHugePage));
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  madvise(p, size, MADV_HUGEPAGE);  // advice only: a refusal leaves ordinary pages
#endif
  return p;
}

void free_huge(void* p) {
  ::operator delete(p, std::align_val_t(kHugePage));
}

}  // namespace microtorch::kernels
