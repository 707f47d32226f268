// Speeds up: merging every piece of a text with bpe() (gpt2_tokenizer.cpp), by remembering the ids of the
// pieces already merged; words repeat, so most pieces of a text are hits. The plain path stays: pieces
// that miss, and encode_reference(), which never uses the cache, go through the merge loop.
// One flat open-addressing table (linear probing over (hash, offsets) slots) with the piece bytes and ids
// in two arrays beside it: a lookup is one hash of a few bytes and usually one slot, no node chasing as
// std::unordered_map<std::string, ...> does (that map took a third of the encoding time).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace microtorch::text {

class PieceCache {
 public:
  static constexpr size_t kMaxEntries = 1 << 17;  // then emptied, and refilled by the text in hand
  static constexpr size_t kMaxPieceBytes = 64;    // longer pieces are rare and merged each time

  static uint64_t hash(std::string_view piece);
  // The ids stored for piece (hash = hash(piece)) and their count, or nullptr.
  const int32_t* find(std::string_view piece, uint64_t hash, uint32_t& count) const;
  // Stores the ids of a piece not in the cache (piece.size() <= kMaxPieceBytes).
  void insert(std::string_view piece, uint64_t hash, const std::vector<int32_t>& ids);
  size_t size() const { return entries_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t key_offset = 0, id_offset = 0;  // into keys_ and ids_
    uint16_t key_bytes = 0, id_count = 0;    // key_bytes 0: an empty slot (pieces are never empty)
  };
  void grow();
  std::vector<Slot> slots_;  // power-of-two size, at most half full
  std::string keys_;         // the bytes of every cached piece, back to back
  std::vector<int32_t> ids_; // the ids of every cached piece, back to back
  size_t entries_ = 0;
};

}  // namespace microtorch::text
