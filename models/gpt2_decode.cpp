// GPT2::forward(idx, cache): tokens that follow the cached ones. The blocks are the textbook's except for
// attention, which reads the keys and values of earlier positions from the KVCache instead of recomputing
// them. Its causal mask is aligned bottom-right: the T new queries sit at positions pos0 .. pos0 + T - 1 and
// query t sees keys [0, pos0 + t] (F::scaled_dot_product_attention's is_causal aligns top-left, as torch 2.x:
// with fewer queries than keys it would hide the newest keys from all but the first query).
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "../core/autograd.h"
#include "../core/kernels/fastmath.h"
#include "../core/kernels/gemm.h"
#include "../core/kernels/parallel.h"
#include "../core/kernels/row_sums.h"
#include "../core/ops.h"
#include "../nn/functional.h"
#include "gpt2.h"

namespace microtorch::models {

namespace F = nn::functional;

namespace {

// The new tokens' keys and values into a layer's cache at positions [pos0, pos0 + T), then their attention
// over positions [0, pos0 + T). qkv (B, T, 3C): q, k, v side by side, head h at columns h D of each; keys and
// values the layer's buffers (B, H, cap, D); y (B, T, C), heads side by side.
void cached_attention(const float* qkv, float* keys, float* values, int64_t cap, int64_t B, int64_t H, int64_t D,
                      int64_t T, int64_t pos0, float* y) {
  const int64_t C = H * D, S = pos0 + T;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
  kernels::parallel_for(0, B * H, 1, [&](int64_t bh0, int64_t bh1) {
    std::vector<float> q(static_cast<size_t>(T * D)), p(static_cast<size_t>(T * S)), o(static_cast<size_t>(T * D));
    for (int64_t bh = bh0; bh < bh1; ++bh) {
      const int64_t b = bh / H, h = bh % H;
      float* K = keys + bh * cap * D;  // seek to (b, h): its (capacity, D) keys, the first S in use
      float* V = values + bh * cap * D;
      for (int64_t t = 0; t < T; ++t) {
        const float* row = qkv + (b * T + t) * 3 * C + h * D;  // seek to token t's q of head h
        std::copy(row, row + D, q.data() + t * D);
        std::copy(row + C, row + C + D, K + (pos0 + t) * D);
        std::copy(row + 2 * C, row + 2 * C + D, V + (pos0 + t) * D);
      }
      kernels::gemm(false, true, T, S, D, scale, q.data(), K, 0.0f, p.data());  // scores (T, S)
      for (int64_t t = 0; t < T; ++t) {  // softmax over the keys query t sees, as the full forward's
        float* row = p.data() + t * S;
        const int64_t seen = pos0 + t + 1;
        const float mx = kernels::max_of(row, seen);
        for (int64_t j = 0; j < seen; ++j) row[j] = kernels::fast_exp(row[j] - mx);
        const auto inv = static_cast<float>(1.0 / kernels::sum_in_double(row, seen));
        for (int64_t j = 0; j < seen; ++j) row[j] *= inv;
        std::fill(row + seen, row + S, 0.0f);
      }
      kernels::gemm(false, false, T, D, S, 1.0f, p.data(), V, 0.0f, o.data());  // (T, D) = P (T, S) V (S, D)
      for (int64_t t = 0; t < T; ++t) std::copy(o.data() + t * D, o.data() + (t + 1) * D, y + (b * T + t) * C + h * D);
    }
  });
}

}  // namespace

Tensor GPT2::hidden(const Tensor& idx, KVCache& cache, bool last_only) {
  NoGradGuard no_grad;
  if (idx.dim() != 2 || idx.size(0) < 1 || idx.size(1) < 1)
    throw std::invalid_argument("GPT2::forward(idx, cache): idx must be (B, T) token ids with B, T >= 1, got shape " +
                                shape_str(idx.shape()));
  const int64_t B = idx.size(0), T = idx.size(1), C = config_.n_embd(), H = config_.n_head();
  const int64_t pos0 = cache.size();
  if (pos0 + T > config_.n_positions())
    throw std::out_of_range("GPT2::forward(idx, cache): positions [" + std::to_string(pos0) + ", " +
                            std::to_string(pos0 + T) + ") run past n_positions " + std::to_string(config_.n_positions()) +
                            " (the cache holds " + std::to_string(pos0) + ")");
  cache.reserve(config_.n_layer(), B, H, config_.n_positions(), C / H);
  Tensor x = wte(idx) + wpe(arange(pos0, pos0 + T));  // (B, T, C): ids checked here, before the cache is written
  Tensor y = empty({B, T, C});
  for (size_t l = 0; l < h.size(); ++l) {
    GPT2Block& block = h[l];
    const Tensor qkv = block.attn.c_attn(block.ln_1(x));  // (B, T, 3C)
    cached_attention(qkv.data_ptr<float>(), cache.keys(static_cast<int64_t>(l)), cache.values(static_cast<int64_t>(l)),
                     cache.capacity(), B, H, C / H, T, pos0, y.data_ptr<float>());
    x = x + block.attn.c_proj(y);
    x = x + block.mlp.forward(block.ln_2(x));
  }
  cache.advance(T);
  if (last_only && T > 1) x = x.select(1, T - 1).unsqueeze(1);  // (B, 1, C): only the next token's logits
  return ln_f(x);
}

Tensor GPT2::forward(const Tensor& idx, KVCache& cache) {
  NoGradGuard no_grad;
  return F::linear(hidden(idx, cache, false), wte.weight);  // (B, T, V)
}

}  // namespace microtorch::models
