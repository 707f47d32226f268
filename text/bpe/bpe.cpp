// GPT-2's merge loop and its heap-based equivalent (see bpe.h).
#include "bpe.h"

#include <algorithm>
#include <unordered_map>

namespace microtorch::text {

void MergeTable::grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  const size_t n = old.empty() ? 1024 : old.size() * 2;
  slots_.assign(n, Slot{});
  mask_ = n - 1;
  shift_ = 64;
  for (size_t m = n; m > 1; m >>= 1) --shift_;  // slot_of keeps the top log2(n) bits of the product
  for (const Slot& s : old) {
    if (s.key == kEmpty) continue;
    size_t i = slot_of(s.key);
    while (slots_[i].key != kEmpty) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

bool MergeTable::add(int32_t left, int32_t right, int32_t merged) {
  if (find(left, right)) return false;
  if (2 * (size_ + 1) > slots_.size()) grow();
  const uint64_t k = key(left, right);
  size_t i = slot_of(k);
  while (slots_[i].key != kEmpty) i = (i + 1) & mask_;
  slots_[i] = {k, Merge{static_cast<int32_t>(size_), merged}};
  ++size_;
  return true;
}

bool MergeTable::ordered() const {
  // The highest rank of a merge producing each id; every merge's parts must have lower ones.
  std::unordered_map<int32_t, int32_t> produced_at;
  for (const Slot& s : slots_) {
    if (s.key == kEmpty) continue;
    auto [it, fresh] = produced_at.emplace(s.merge.merged, s.merge.rank);
    if (!fresh) it->second = std::max(it->second, s.merge.rank);
  }
  for (const Slot& s : slots_) {
    if (s.key == kEmpty) continue;
    for (const int32_t part : {static_cast<int32_t>(s.key >> 32), static_cast<int32_t>(s.key & 0xFFFFFFFFu)}) {
      auto it = produced_at.find(part);
      if (it != produced_at.end() && it->second >= s.merge.rank) return false;
    }
  }
  return true;
}

void bpe_reference(std::vector<int32_t>& ids, const MergeTable& merges) {
  std::vector<int32_t> merged_word;
  while (ids.size() >= 2) {
    // The pair of neighbours with the lowest rank.
    const Merge* best = nullptr;
    int32_t first = 0, second = 0;
    for (size_t i = 0; i + 1 < ids.size(); ++i) {
      const Merge* m = merges.find(ids[i], ids[i + 1]);
      if (m && (!best || m->rank < best->rank)) {
        best = m;
        first = ids[i];
        second = ids[i + 1];
      }
    }
    if (!best) break;
    // Every occurrence of it, left to right, without overlap.
    merged_word.clear();
    for (size_t i = 0; i < ids.size();) {
      if (i + 1 < ids.size() && ids[i] == first && ids[i + 1] == second) {
        merged_word.push_back(best->merged);
        i += 2;
      } else {
        merged_word.push_back(ids[i]);
        i += 1;
      }
    }
    ids.swap(merged_word);
  }
}

namespace {

using Candidate = BpeScratch::Candidate;

// std::push_heap keeps the largest on top; "larger" here means merged later: higher rank, then further right.
bool later(const Candidate& a, const Candidate& b) { return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos; }

void push_pair(BpeScratch& s, const MergeTable& merges, int32_t pos) {
  if (pos < 0) return;
  const int32_t next = s.symbols[pos].next;
  if (next < 0) return;
  const int32_t left = s.symbols[pos].id, right = s.symbols[next].id;
  if (const Merge* m = merges.find(left, right)) {
    s.heap.push_back({m->rank, pos, left, right, m->merged});
    std::push_heap(s.heap.begin(), s.heap.end(), later);
  }
}

}  // namespace

void bpe(std::vector<int32_t>& ids, const MergeTable& merges, BpeScratch& s) {
  const int32_t n = static_cast<int32_t>(ids.size());
  if (n < 2) return;
  s.symbols.resize(ids.size());
  for (int32_t i = 0; i < n; ++i) s.symbols[i] = {ids[i], i - 1, i + 1 < n ? i + 1 : -1};
  s.heap.clear();
  for (int32_t i = 0; i + 1 < n; ++i) push_pair(s, merges, i);
  while (!s.heap.empty()) {
    std::pop_heap(s.heap.begin(), s.heap.end(), later);
    const Candidate c = s.heap.back();
    s.heap.pop_back();
    // Stale when either symbol has changed since the pair was pushed (merged with another neighbour).
    BpeScratch::Symbol& left = s.symbols[c.pos];
    if (left.id != c.left || left.next < 0 || s.symbols[left.next].id != c.right) continue;
    // Merge: the left symbol takes the joined id, the right one leaves the list.
    BpeScratch::Symbol& right = s.symbols[left.next];
    left.id = c.merged;
    left.next = right.next;
    if (right.next >= 0) s.symbols[right.next].prev = c.pos;
    right.id = -1;
    push_pair(s, merges, left.prev);
    push_pair(s, merges, c.pos);
  }
  ids.clear();
  for (int32_t i = 0; i >= 0; i = s.symbols[i].next) ids.push_back(s.symbols[i].id);
}

}  // namespace microtorch::text
