// KVCache's buffers: allocated once at their full capacity, then written in place.
#include "kv_cache.h"

#include <stdexcept>
#include <string>

namespace microtorch::models {

void KVCache::reserve(int64_t layers, int64_t batch, int64_t heads, int64_t capacity, int64_t head_dim) {
  const bool same = static_cast<int64_t>(keys_.size()) == layers && batch_ == batch && heads_ == heads &&
                    capacity_ == capacity && head_dim_ == head_dim;
  if (same) return;
  if (size_ > 0)
    throw std::invalid_argument(
        "KVCache: it holds " + std::to_string(size_) + " positions of " + std::to_string(keys_.size()) + " layers, batch " +
        std::to_string(batch_) + ", " + std::to_string(heads_) + " heads of " + std::to_string(head_dim_) +
        ", but the model asks for " + std::to_string(layers) + " layers, batch " + std::to_string(batch) + ", " +
        std::to_string(heads) + " heads of " + std::to_string(head_dim) + " (clear() it, or use one cache per model and batch)");
  const Shape shape{batch, heads, capacity, head_dim};  // checked: a size that overflows throws here
  keys_.clear();
  values_.clear();
  for (int64_t l = 0; l < layers; ++l) {
    keys_.push_back(microtorch::empty(shape));  // not filled: positions are written before they are read
    values_.push_back(microtorch::empty(shape));
  }
  batch_ = batch;
  heads_ = heads;
  capacity_ = capacity;
  head_dim_ = head_dim;
}

}  // namespace microtorch::models
