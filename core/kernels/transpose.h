// Speeds up copy_strided's element-by-element run (core/ops/strided.cpp, copy_run; its plain path
// copy_strided_plain is the tests' oracle) when the destination's rows are read down the source's columns,
// as x.t().contiguous() does: 32 x 32 tiles, each source line read once into a small buffer and written out
// down the other side, instead of one cache line fetched per element (with a power-of-two row stride those
// lines also fall into one cache set).
#pragma once
#include <cstdint>

namespace microtorch::kernels {

constexpr int64_t kTransposeTile = 32;  // a tile of 8-byte elements is 8 KB, within L1

// Rows [a0, a1) of an (A, B) block: dst[a * dst_row + b] = src[a + b * src_col] for b in [0, B). T is the
// element's bits (uint16_t, uint32_t or uint64_t): one dtype on both sides, so a copy of bits is exact.
template <class T>
void transpose_rows(T* dst, int64_t dst_row, const T* src, int64_t src_col, int64_t a0, int64_t a1, int64_t B);

}  // namespace microtorch::kernels
