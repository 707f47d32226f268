// The libtorch side's causal attention, as nanoGPT writes it for torch < 2.0 (libtorch 1.13 has no
// scaled_dot_product_attention): softmax(q k^T / sqrt(D), masked to keys s <= t) v, q, k, v (..., T, D).
// nanoGPT compares a tril buffer with 0 on every call; here the (T, T) mask is built once per T.
#pragma once
#include <torch/torch.h>

#include <cmath>
#include <map>

namespace bench {

inline torch::Tensor torch_causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t T = q.size(-2);
  static std::map<int64_t, torch::Tensor> future;  // (T, T) bool, true above the diagonal (a future key)
  torch::Tensor& mask = future[T];
  if (!mask.defined()) mask = torch::ones({T, T}, torch::kBool).triu(1);
  const torch::Tensor att = torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(q.size(-1))));
  return torch::matmul(torch::softmax(att.masked_fill(mask, -INFINITY), -1), v);
}

}  // namespace bench
