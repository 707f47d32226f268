// F::scaled_dot_product_attention: y = softmax(q k^T * scale + mask) v, one op with its own backward.
// Per batch*head b (q (L, D), k (S, D), v (S, Dv) contiguous slices): scores by one SGEMM, the causal mask
// applied in the row loop (no (L, S) mask tensor), a stable softmax per row, then P v by a second SGEMM.
// The probabilities P (BH, L, S) are saved for the backward:
//   dv = P^T dy,  dP = dy v^T,  dS = P * (dP - rowsum(P * dP)),  dq = scale dS k,  dk = scale dS^T q.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "../core/autograd.h"
#include "../core/kernels/gemm.h"
#include "../core/kernels/fastmath.h"
#include "../core/grad.h"
#include "../core/kernels/row_sums.h"
#include "functional.h"

namespace microtorch::nn::functional {

// Element offsets into a float mask broadcast to `full` = batch dims + (L, S): one stride per dim of full,
// 0 where the mask has size 1 (or lacks the dim). Throws unless the mask's shape broadcasts to full.
static std::vector<int64_t> mask_strides(const Tensor& mask, const Shape& full) {
  const Shape& m = mask.shape();
  const auto nd = static_cast<int64_t>(full.size()), md = mask.dim();
  bool fits = md <= nd;
  std::vector<int64_t> strides(static_cast<size_t>(nd), 0);
  int64_t stride = 1;
  for (int64_t i = md - 1; fits && i >= 0; --i) {
    const int64_t f = full[nd - md + i];
    if (m[i] != f && m[i] != 1) fits = false;
    strides[nd - md + i] = m[i] == 1 ? 0 : stride;
    stride *= m[i];
  }
  if (!fits)
    throw std::invalid_argument("scaled_dot_product_attention: attn_mask of shape " + shape_str(m) +
                                " does not broadcast to the scores' shape " + shape_str(full));
  return strides;
}

static void check_sdpa(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, double dropout_p,
                       bool is_causal) {
  for (const auto& [name, t] : {std::pair<const char*, const Tensor&>{"q", q}, {"k", k}, {"v", v}})
    if (t.dtype() != kFloat32 || t.dim() < 2)
      throw std::invalid_argument(std::string("scaled_dot_product_attention: ") + name +
                                  " must be float32 (..., T, D), got " + dtype_name(t.dtype()) + " of shape " +
                                  shape_str(t.shape()));
  const Shape batch(q.shape().begin(), q.shape().end() - 2);
  const bool ok = q.dim() == k.dim() && q.dim() == v.dim() && Shape(k.shape().begin(), k.shape().end() - 2) == batch &&
                  Shape(v.shape().begin(), v.shape().end() - 2) == batch && k.shape().back() == q.shape().back() &&
                  v.size(-2) == k.size(-2);
  if (!ok)
    throw std::invalid_argument("scaled_dot_product_attention: expected q (..., L, D), k (..., S, D), v (..., S, Dv) "
                                "with equal batch dims, got q " + shape_str(q.shape()) + ", k " + shape_str(k.shape()) +
                                ", v " + shape_str(v.shape()));
  if (dropout_p != 0.0)
    throw std::invalid_argument("scaled_dot_product_attention: dropout_p " + std::to_string(dropout_p) +
                                " is not supported (only 0); apply F::dropout to the output instead");
  if (!mask.defined()) return;
  if (is_causal)
    throw std::invalid_argument("scaled_dot_product_attention: attn_mask and is_causal = true are exclusive, as PyTorch");
  if (mask.dtype() != kFloat32 && mask.dtype() != kBool)
    throw std::invalid_argument("scaled_dot_product_attention: attn_mask must be bool (true: take part) or float32 "
                                "(added to the scores), got " + dtype_name(mask.dtype()));
  if (mask.requires_grad() && GradMode::is_enabled())
    throw std::invalid_argument("scaled_dot_product_attention: attn_mask requires grad, but the mask is not "
                                "differentiated; pass mask.detach()");
}

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask,
                                    double dropout_p, bool is_causal, std::optional<double> scale_opt) {
  check_sdpa(q, k, v, attn_mask, dropout_p, is_causal);
  const int64_t L = q.size(-2), D = q.size(-1), S = k.size(-2), Dv = v.size(-1);
  const int64_t BH = shape_numel(Shape(q.shape().begin(), q.shape().end() - 2));
  const double scale_d = scale_opt ? *scale_opt : 1.0 / std::sqrt(static_cast<double>(D));
  if (!std::isfinite(scale_d))
    throw std::invalid_argument("scaled_dot_product_attention: scale must be finite, got " + std::to_string(scale_d));
  const auto scale = static_cast<float>(scale_d);

  Shape full(q.shape().begin(), q.shape().end() - 2);
  full.push_back(L);
  full.push_back(S);
  const std::vector<int64_t> mstride = attn_mask.defined() ? mask_strides(attn_mask, full) : std::vector<int64_t>{};
  Shape out_shape = q.shape();
  out_shape.back() = Dv;
  Tensor y = empty(out_shape);
  // (BH, L, S) probabilities, saved for the backward: a storage from the cache, not a zero-filled vector
  // (every element is written below; 786 KB a layer in gpt_shakespeare)
  const Tensor P_saved = empty({BH, L, S});
  float* P = P_saved.data_ptr<float>();
  // Queries a bool mask hides every key from (BH * L flags). Their scores are constants (-inf, from masking),
  // not functions of q and k: their gradient is 0, as the gradient of PyTorch's masked_fill, so dq and dk stay
  // finite while that query's output row (softmax of nothing) is NaN, as PyTorch's.
  auto dead_rows = std::make_shared<std::vector<char>>(
      attn_mask.defined() && attn_mask.dtype() == kBool ? static_cast<size_t>(BH * L) : 0);
  char* dead = dead_rows->empty() ? nullptr : dead_rows->data();

  for (int64_t b = 0; b < BH; ++b) {
    float* Pb = P + b * L * S;  // seek to batch*head b
    kernels::gemm(false, true, L, S, D, scale, q.data_ptr<float>() + b * L * D, k.data_ptr<float>() + b * S * D, 0.0f, Pb);
    int64_t moff = 0;  // the mask's offset for batch index b (its batch dims unravelled, last fastest)
    if (attn_mask.defined())
      for (int64_t d = static_cast<int64_t>(full.size()) - 3, rest = b; d >= 0; --d) {
        moff += (rest % full[d]) * mstride[d];
        rest /= full[d];
      }
    for (int64_t i = 0; i < L; ++i) {
      float* row = Pb + i * S;                      // seek to query i's scores (S)
      const int64_t seen = is_causal ? std::min(i + 1, S) : S;  // keys j >= seen are masked
      if (attn_mask.defined()) {
        const int64_t mi = moff + i * mstride[full.size() - 2], mj = mstride[full.size() - 1];  // seek to row i
        if (attn_mask.dtype() == kBool) {
          const bool* m = attn_mask.data_ptr<bool>() + mi;  // false: the key takes no part
          bool any = false;
          for (int64_t j = 0; j < S; ++j) {
            row[j] = m[j * mj] ? row[j] : -INFINITY;
            any = any || m[j * mj];
          }
          dead[b * L + i] = !any;
        } else {
          const float* m = attn_mask.data_ptr<float>() + mi;
          for (int64_t j = 0; j < S; ++j) row[j] += m[j * mj];
        }
      }
      const float mx = kernels::max_of(row, seen);
      for (int64_t j = 0; j < seen; ++j) row[j] = kernels::fast_exp(row[j] - mx);  // vectorized; -inf - -inf = NaN
      const double sum = kernels::sum_in_double(row, seen);                          // (a fully masked row, as PyTorch)
      const auto inv = static_cast<float>(1.0 / sum);
      for (int64_t j = 0; j < seen; ++j) row[j] *= inv;
      std::fill(row + seen, row + S, 0.0f);
    }
    kernels::gemm(false, false, L, Dv, S, 1.0f, Pb, v.data_ptr<float>() + b * S * Dv, 0.0f, y.data_ptr<float>() + b * L * Dv);
  }

  record(y, "scaled_dot_product_attention", {q, k, v},
         [q, k, v, P_saved, dead_rows, BH, L, S, D, Dv, scale](const Tensor& dy) {
           const bool dq_on = q.requires_grad(), dk_on = k.requires_grad(), dv_on = v.requires_grad();
           Tensor dq = dq_on ? empty(q.shape()) : Tensor(), dk = dk_on ? empty(k.shape()) : Tensor();
           Tensor dv = dv_on ? empty(v.shape()) : Tensor();
           std::vector<float> dS(static_cast<size_t>(L * S));  // one batch*head's (L, S) at a time
           for (int64_t b = 0; b < BH; ++b) {
             const float* Pb = P_saved.data_ptr<float>() + b * L * S;  // seek to batch*head b
             const float* g = dy.data_ptr<float>() + b * L * Dv;
             const float* kb = k.data_ptr<float>() + b * S * D;
             const float* vb = v.data_ptr<float>() + b * S * Dv;
             if (dv_on) kernels::gemm(true, false, S, Dv, L, 1.0f, Pb, g, 0.0f, dv.data_ptr<float>() + b * S * Dv);
             if (!dq_on && !dk_on) continue;
             kernels::gemm(false, true, L, S, Dv, 1.0f, g, vb, 0.0f, dS.data());  // dP (L, S)
             for (int64_t i = 0; i < L; ++i) {
               const float* p = Pb + i * S;
               float* d = dS.data() + i * S;
               if (!dead_rows->empty() && (*dead_rows)[b * L + i]) {
                 std::fill(d, d + S, 0.0f);  // every score of this query was masked: no gradient
                 continue;
               }
               const double dot = kernels::dot_in_double(p, d, S);
               for (int64_t j = 0; j < S; ++j) d[j] = p[j] * (d[j] - static_cast<float>(dot));
             }
             if (dq_on) kernels::gemm(false, false, L, D, S, scale, dS.data(), kb, 0.0f, dq.data_ptr<float>() + b * L * D);
             if (dk_on)
               kernels::gemm(true, false, S, D, L, scale, dS.data(), q.data_ptr<float>() + b * L * D, 0.0f,
                    dk.data_ptr<float>() + b * S * D);
           }
           if (dq_on) accumulate_grad(q, dq);
           if (dk_on) accumulate_grad(k, dk);
           if (dv_on) accumulate_grad(v, dv);
         });
  return y;
}

}  // namespace microtorch::nn::functional
