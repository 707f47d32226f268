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
#include <vector>

namespace microtorch::text {

struct Merge {
  int32_t rank;    // line of vocab.bpe (0 = merged first)
  int32_t merged;  // the id of the two parts joined
};

// (left id, right id) -> Merge, in one flat open-addressing array (linear probing, at most half full):
// bpe() looks a pair up for every neighbour it forms, so a lookup is one multiply and usually one slot.
class MergeTable {
 public:
  // Adds the merge of (left, right) (ids >= 0) with the next rank; false if that pair is already in.
  bool add(int32_t left, int32_t right, int32_t merged);
  const Merge* find(int32_t left, int32_t right) const {
    if (slots_.empty()) return nullptr;
    const uint64_t k = key(left, right);
    for (size_t i = slot_of(k);; i = (i + 1) & mask_) {
      if (slots_[i].key == k) return &slots_[i].merge;
      if (slots_[i].key == kEmpty) return nullptr;
    }
  }
  // See the file comment; computed by the caller once the table is complete.
  bool ordered() const;
  size_t size() const { return size_; }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};  // no pair of ids >= 0 has this key
  struct Slot {
    uint64_t key = kEmpty;
    Merge merge{};
  };
  static uint64_t key(int32_t left, int32_t right) {
    return static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32 | static_cast<uint32_t>(right);
  }
  size_t slot_of(uint64_t k) const { return static_cast<size_t>((k * 0x9E3779B97F4A7C15ull) >> shift_); }
  void grow();
  std::vector<Slot> slots_;
  size_t size_ = 0, mask_ = 0;
  int shift_ = 64;
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
