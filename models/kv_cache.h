// models::KVCache: the keys and values a GPT-2 has computed for the tokens seen so far, one (B, H, capacity, D)
// pair per layer, so the next token attends to them without recomputing them. The buffers are allocated
// once, at the model's n_positions, by the first forward that uses the cache; later tokens are written in
// place after the cached ones (no copy of the cache per step).
//   mt::models::KVCache cache;
//   mt::Tensor logits = model.forward(prompt, cache);   // fills positions [0, P)
//   logits = model.forward(next_id, cache);              // position P attends to [0, P]
#pragma once
#include <cstdint>
#include <vector>

#include "../core/tensor.h"

namespace microtorch::models {

class GPT2;

class KVCache {
 public:
  KVCache() = default;  // empty: sized by the first forward that uses it

  int64_t size() const { return size_; }  // positions cached: the next token's position
  int64_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  void clear() { size_ = 0; }  // forgets the positions, keeps the buffers for the next sequence

 private:
  friend class GPT2;  // the one writer (models/gpt2_decode.cpp)
  // Allocates the buffers unless they already have these sizes; std::invalid_argument when they are in use
  // (size() > 0) with other sizes (another model or batch size).
  void reserve(int64_t layers, int64_t batch, int64_t heads, int64_t capacity, int64_t head_dim);
  float* keys(int64_t layer) const { return keys_[static_cast<size_t>(layer)].data_ptr<float>(); }
  float* values(int64_t layer) const { return values_[static_cast<size_t>(layer)].data_ptr<float>(); }
  void advance(int64_t n) { size_ += n; }  // n more positions written in every layer

  std::vector<Tensor> keys_, values_;  // per layer (B, H, capacity, D)
  int64_t size_ = 0, capacity_ = 0, batch_ = 0, heads_ = 0, head_dim_ = 0;
};

}  // namespace microtorch::models
