// Tiled transpose (transpose.h); the plain path is copy_run's one element at a time along b.
#include "transpose.h"

#include <algorithm>

namespace microtorch::kernels {

template <class T>
void transpose_rows(T* dst, int64_t dst_row, const T* src, int64_t src_col, int64_t a0, int64_t a1, int64_t B) {
  constexpr int64_t n = kTransposeTile;
  T tile[n][n];  // tile[b][a]: the source's lines read once each, then written out down the other side
  for (int64_t ta = a0; ta < a1; ta += n) {
    const int64_t na = std::min(n, a1 - ta);
    for (int64_t tb = 0; tb < B; tb += n) {
      const int64_t nb = std::min(n, B - tb);
      for (int64_t b = 0; b < nb; ++b) {
        const T* __restrict x = src + ta + (tb + b) * src_col;
        for (int64_t a = 0; a < na; ++a) tile[b][a] = x[a];
      }
      for (int64_t a = 0; a < na; ++a) {
        T* __restrict o = dst + (ta + a) * dst_row + tb;
        for (int64_t b = 0; b < nb; ++b) o[b] = tile[b][a];
      }
    }
  }
}

template void transpose_rows<uint16_t>(uint16_t*, int64_t, const uint16_t*, int64_t, int64_t, int64_t, int64_t);
template void transpose_rows<uint32_t>(uint32_t*, int64_t, const uint32_t*, int64_t, int64_t, int64_t, int64_t);
template void transpose_rows<uint64_t>(uint64_t*, int64_t, const uint64_t*, int64_t, int64_t, int64_t, int64_t);

}  // namespace microtorch::kernels
