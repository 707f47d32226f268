// Byte-pair merging over token ids, GPT-2's bpe() step: a pre-token starts as one id per byte and
// neighbouring pairs are merged, lowest merge rank first, until no pair has a rank.
//   bpe_reference: GPT-2's loop as written in its encoder.py (merge every occurrence of the best pair,
//                  left to right, then look again); O(n) per merge, the oracle the tests compare with.
//   bpe:           the same result in O(n log n): a heap of candidate pairs over a linked list of symbols.
// They agree when the merge table is "ordered": every merge's two parts are produced only by merges of
// lower rank (true of any table BPE training writes, GPT-2's included); then merging can only create pairs
// of higher rank than the one just merged, so popping pairs by (rank, position) replays GPT-2's order.
#pragma once
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace microtorch::text {

struct Merge {
  int32_t rank;    // line of vocab.bpe (0 = merged first)
  int32_t merged;  // the id of the two parts joined
};

class MergeTable {
 public:
  // Adds the merge of (left, right) with the next rank; false if that pair is already in the table.
  bool add(int32_t left, int32_t right, int32_t merged);
  const Merge* find(int32_t left, int32_t right) const {
    auto it = merges_.find(key(left, right));
    return it == merges_.end() ? nullptr : &it->second;
  }
  // See the file comment; computed by the caller once the table is complete.
  bool ordered() const;
  size_t size() const { return merges_.size(); }

 private:
  static uint64_t key(int32_t left, int32_t right) {
    return static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32 | static_cast<uint32_t>(right);
  }
  std::unordered_map<uint64_t, Merge> merges_;
};

// Buffers bpe() reuses between calls, so merging allocates nothing once they have grown.
struct BpeScratch {
  struct Symbol {
    int32_t id, prev, next;  // prev/next: neighbouring live symbols, -1 at the ends; id -1: merged away
  };
  struct Candidate {
    int32_t rank, pos, left, right, merged;  // the pair (symbol pos, its next) as it was when pushed
  };
  std::vector<Symbol> symbols;
  std::vector<Candidate> heap;
};

// ids: the byte ids of one pre-token in, the merged ids out.
void bpe(std::vector<int32_t>& ids, const MergeTable& merges, BpeScratch& scratch);
void bpe_reference(std::vector<int32_t>& ids, const MergeTable& merges);

}  // namespace microtorch::text
