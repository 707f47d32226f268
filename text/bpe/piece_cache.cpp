// The flat piece -> ids cache declared in piece_cache.h.
#include "piece_cache.h"

#include <cstring>

namespace microtorch::text {

uint64_t PieceCache::hash(std::string_view piece) {
  // Eight bytes at a time, each word multiplied in and folded; then the length. Pieces are short.
  uint64_t h = 0x9E3779B97F4A7C15ull ^ piece.size();
  size_t i = 0;
  for (; i + 8 <= piece.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, piece.data() + i, 8);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  }
  uint64_t tail = 0;
  if (i < piece.size()) std::memcpy(&tail, piece.data() + i, piece.size() - i);
  h = (h ^ tail) * 0x94D049BB133111EBull;
  return h ^ (h >> 29);
}

const int32_t* PieceCache::find(std::string_view piece, uint64_t hash, uint32_t& count) const {
  if (slots_.empty()) return nullptr;
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.key_bytes == 0) return nullptr;
    if (s.hash == hash && s.key_bytes == piece.size() &&
        std::memcmp(keys_.data() + s.key_offset, piece.data(), piece.size()) == 0) {
      count = s.id_count;
      return ids_.data() + s.id_offset;
    }
  }
}

void PieceCache::grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.resize(old.empty() ? 4096 : old.size() * 2);
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.key_bytes == 0) continue;
    size_t i = s.hash & mask;
    while (slots_[i].key_bytes != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void PieceCache::insert(std::string_view piece, uint64_t hash, const std::vector<int32_t>& ids) {
  if (piece.empty() || piece.size() > kMaxPieceBytes) return;
  if (entries_ >= kMaxEntries) {  // full: start again rather than grow without bound
    slots_.clear();
    keys_.clear();
    ids_.clear();
    entries_ = 0;
  }
  if (2 * (entries_ + 1) > slots_.size()) grow();
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i].key_bytes != 0) i = (i + 1) & mask;
  // ids.size() <= piece.size() <= 64: every piece starts as one id per byte and merging only shortens it.
  slots_[i] = {hash, static_cast<uint32_t>(keys_.size()), static_cast<uint32_t>(ids_.size()),
               static_cast<uint16_t>(piece.size()), static_cast<uint16_t>(ids.size())};
  keys_.append(piece.data(), piece.size());
  ids_.insert(ids_.end(), ids.begin(), ids.end());
  ++entries_;
}

}  // namespace microtorch::text
