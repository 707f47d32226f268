// Radix sort of (id, position) pairs (id_sort.h); the plain std::sort first.
#include "id_sort.h"

#include <algorithm>
#include <array>

namespace microtorch::detail {

void sort_by_id_plain(std::vector<IdPosition>& pairs) { std::sort(pairs.begin(), pairs.end()); }

void sort_by_id(std::vector<IdPosition>& pairs, std::vector<IdPosition>& scratch) {
  const size_t n = pairs.size();
  if (n < 256) return sort_by_id_plain(pairs);  // a few ids: the counting passes would cost more
  int64_t largest = 0;
  for (const IdPosition& p : pairs) largest = std::max(largest, p.first);
  scratch.resize(n);
  // One stable counting pass per byte of the id, lowest first: after the pass on byte b the pairs are in
  // order of the id's low b + 1 bytes, ties in the order the pass found them.
  for (int shift = 0; shift < 64 && (largest >> shift) != 0; shift += 8) {
    std::array<size_t, 257> start{};  // start[d + 1] counts digit d, then prefix sums: where d's run begins
    for (const IdPosition& p : pairs) ++start[((p.first >> shift) & 255) + 1];
    if (std::find(start.begin() + 1, start.end(), n) != start.end()) continue;  // one digit for all: in order
    for (size_t d = 1; d < start.size(); ++d) start[d] += start[d - 1];
    for (const IdPosition& p : pairs) scratch[start[(p.first >> shift) & 255]++] = p;
    pairs.swap(scratch);
  }
}

}  // namespace microtorch::detail
