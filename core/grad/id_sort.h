// (id, position) pairs sorted by id: a sparse gradient's rows grouped by id (row_walk.cpp). The plain path it
// speeds up is std::sort of the pairs (sort_by_id_plain, the tests' oracle), O(n log n) on the step's one
// serial stretch. Here a stable radix sort on the id's bytes, as many as the largest id needs (two for
// GPT-2's 50257): O(n) per byte.
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace microtorch::detail {

using IdPosition = std::pair<int64_t, size_t>;

// pairs sorted by id; pairs with one id keep their order (ids >= 0). For pairs made in position order, the
// order std::sort gives. scratch: a buffer kept by the caller between calls.
void sort_by_id(std::vector<IdPosition>& pairs, std::vector<IdPosition>& scratch);
void sort_by_id_plain(std::vector<IdPosition>& pairs);

}  // namespace microtorch::detail
