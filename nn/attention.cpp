// F::scaled_dot_product_attention: y = softmax(q k^T * scale + mask) v, one op with its own backward.
// Per batch*head b (q (L, D), k (S, D), v (S, Dv) matrices read in place, whatever their strides, when
// their rows or columns step by one: a head split by views costs no copy): scores by one SGEMM, the causal mask
// applied in the row loop (no (L, S) mask tensor), a stable softmax per row, then P v by a second SGEMM.
// The probabilities P (BH, L, S) are saved for the backward:
//   dv = P^T dy,  dP = dy v^T,  dS = P * (dP - rowsum(P * dP)),  dq = scale dS k,  dk = scale dS^T q.
// That is the float32 path; float64 is composed from core ops (matmul, masked_fill, softmax and their backwards),
// float16/bfloat16 run in float32 and round back. q, k, v (and a float mask) share one dtype.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "../core/autograd.h"
#include "../core/kernels/gemm.h"
#include "../core/kernels/fastmath.h"
#include "../core/grad.h"
#include "../core/kernels/row_sums.h"
#include "../core/ops.h"
#include "functional.h"
#include "internal/dtypes.h"

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
  for (const auto& [name, t] : {std::pair<const char*, const Tensor&>{"q", q}, {"k", k}, {"v", v}}) {
    internal::check_floating("scaled_dot_product_attention", name, t);
    internal::check_same_dtype("scaled_dot_product_attention", name, t, q.dtype());
    if (t.dim() < 2)
      throw std::invalid_argument(std::string("scaled_dot_product_attention: ") + name + " must be (..., T, D), got " +
                                  dtype_name(t.dtype()) + " of shape " + shape_str(t.shape()));
  }
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
  if (mask.dtype() != q.dtype() && mask.dtype() != kBool)
    throw std::invalid_argument("scaled_dot_product_attention: attn_mask must be bool (true: take part) or " +
                                dtype_name(q.dtype()) + " as q (added to the scores), got " + dtype_name(mask.dtype()));
  if (mask.requires_grad() && GradMode::is_enabled())
    throw std::invalid_argument("scaled_dot_product_attention: attn_mask requires grad, but the mask is not "
                                "differentiated; pass mask.detach()");
}

// Element offsets of the (..., R, C) matrices of t, its batch dims in row-major order.
static std::vector<int64_t> matrix_offsets(const Tensor& t) {
  const int64_t nb = t.dim() - 2;
  std::vector<int64_t> offsets{0};
  for (int64_t d = 0; d < nb; ++d) {  // each batch dim multiplies the list, its stride added
    std::vector<int64_t> next;
    for (int64_t o : offsets)
      for (int64_t i = 0; i < t.shape()[d]; ++i) next.push_back(o + i * t.strides()[d]);
    offsets.swap(next);
  }
  return offsets;
}

// An empty tensor of `shape` whose dims are laid out in the order of like's strides (like (B, H, T, D) read
// from a (B, T, 3C) projection gives (B, H, T, D) stored as (B, T, H, D)): an output in its input's layout,
// so the head merge after it is a free view.
static Tensor empty_in_order_of(const Tensor& like, const Shape& shape) {
  std::vector<int64_t> order(shape.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return like.strides()[x] > like.strides()[y]; });
  Shape strides(shape.size());
  int64_t step = 1;
  for (size_t i = order.size(); i-- > 0;) {
    strides[order[i]] = step;
    step *= std::max<int64_t>(shape[order[i]], 1);
  }
  return empty_strided(shape, strides);
}

// t itself when its matrices are readable in place by the SGEMM, else a contiguous copy.
static Tensor readable(const Tensor& t) {
  const int64_t n = t.dim();
  const kernels::Matrix m{nullptr, t.size(-2), t.size(-1), t.strides()[n - 2], t.strides()[n - 1]};
  return m.readable() ? t : t.contiguous();
}

// The composed form (float64): softmax(q k^T * scale, masked) v.
static Tensor sdpa_composed(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask, bool is_causal,
                            double scale) {
  const int64_t L = q.size(-2), S = k.size(-2);
  Tensor scores = matmul(q, transpose(k, -2, -1)) * scale;  // (..., L, S)
  if (is_causal) {
    Tensor hide = zeros({L, S}, kBool);  // key j is hidden from query i when j > i
    bool* h = hide.data_ptr<bool>();
    for (int64_t i = 0; i < L; ++i)
      for (int64_t j = i + 1; j < S; ++j) h[i * S + j] = true;
    scores = masked_fill(scores, hide, -INFINITY);
  } else if (attn_mask.defined()) {
    scores = attn_mask.dtype() == kBool ? masked_fill(scores, attn_mask == false, -INFINITY) : scores + attn_mask;
  }
  return matmul(softmax(scores, -1), v);
}

Tensor scaled_dot_product_attention(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in, const Tensor& attn_mask_in,
                                    double dropout_p, bool is_causal, std::optional<double> scale_opt) {
  check_sdpa(q_in, k_in, v_in, attn_mask_in, dropout_p, is_causal);
  if (internal::is_half_kind(q_in.dtype())) {
    const Tensor mask = attn_mask_in.defined() && attn_mask_in.dtype() != kBool ? attn_mask_in.to(kFloat32) : attn_mask_in;
    return scaled_dot_product_attention(q_in.to(kFloat32), k_in.to(kFloat32), v_in.to(kFloat32), mask, dropout_p,
                                        is_causal, scale_opt)
        .to(q_in.dtype());
  }
  if (q_in.dtype() == kFloat64) {
    const double scale = scale_opt ? *scale_opt : 1.0 / std::sqrt(static_cast<double>(q_in.size(-1)));
    if (!std::isfinite(scale))
      throw std::invalid_argument("scaled_dot_product_attention: scale must be finite, got " + std::to_string(scale));
    if (attn_mask_in.defined()) mask_strides(attn_mask_in, [&] {  // the mask must broadcast to the scores
        Shape full(q_in.shape().begin(), q_in.shape().end() - 2);
        full.push_back(q_in.size(-2));
        full.push_back(k_in.size(-2));
        return full;
      }());
    return sdpa_composed(q_in, k_in, v_in, attn_mask_in, is_causal, scale);
  }
  Tensor q, k, v, attn_mask;
  {
    NoGradGuard off;  // copies only for matrices the SGEMM cannot read in place
    q = readable(q_in);
    k = readable(k_in);
    v = readable(v_in);
    attn_mask = attn_mask_in.defined() ? attn_mask_in.contiguous() : attn_mask_in;
  }
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
  Tensor y = empty_in_order_of(q, out_shape);
  const std::vector<int64_t> qo = matrix_offsets(q), ko = matrix_offsets(k), vo = matrix_offsets(v), yo = matrix_offsets(y);
  auto mat = [](const Tensor& t, int64_t offset) {  // the matrix of t's last two dims at that offset
    const int64_t n = t.dim();
    return kernels::Matrix{t.data_ptr<float>() + offset, t.size(-2), t.size(-1), t.strides()[n - 2], t.strides()[n - 1]};
  };
  auto packed = [](float* p, int64_t rows, int64_t cols) { return kernels::Matrix{p, rows, cols, cols, 1}; };
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
    kernels::gemm(false, mat(q, qo[b]), true, mat(k, ko[b]), scale, 0.0f, packed(Pb, L, S));
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
    kernels::gemm(false, packed(Pb, L, S), false, mat(v, vo[b]), 1.0f, 0.0f, mat(y, yo[b]));
  }

  // The backward reads dy through its strides (the head merge's gradient arrives as a transposed view) and
  // writes each input's gradient in that input's layout, so the head split's backward is free views too.
  record_strided(y, "scaled_dot_product_attention", {q_in, k_in, v_in},
                 [q_in, k_in, v_in, q, k, v, P_saved, dead_rows, qo, ko, vo, BH, L, S, scale, mat, packed](const Tensor& dy) {
    const bool dq_on = q_in.requires_grad(), dk_on = k_in.requires_grad(), dv_on = v_in.requires_grad();
    const Tensor g = dy.strides().back() == 1 || dy.size(-1) == 1 ? dy : dy.contiguous();
    Tensor dq = dq_on ? empty_in_order_of(q, q.shape()) : Tensor(), dk = dk_on ? empty_in_order_of(k, k.shape()) : Tensor();
    Tensor dv = dv_on ? empty_in_order_of(v, v.shape()) : Tensor();
    const std::vector<int64_t> go = matrix_offsets(g);
    const std::vector<int64_t> dqo = dq_on ? matrix_offsets(dq) : qo, dko = dk_on ? matrix_offsets(dk) : ko;
    const std::vector<int64_t> dvo = dv_on ? matrix_offsets(dv) : vo;
    std::vector<float> dS(static_cast<size_t>(L * S));  // one batch*head's (L, S) at a time
    for (int64_t b = 0; b < BH; ++b) {
      const float* Pb = P_saved.data_ptr<float>() + b * L * S;  // seek to batch*head b
      const kernels::Matrix gb = mat(g, go[b]), P_b = packed(const_cast<float*>(Pb), L, S);
      if (dv_on) kernels::gemm(true, P_b, false, gb, 1.0f, 0.0f, mat(dv, dvo[b]));
      if (!dq_on && !dk_on) continue;
      kernels::gemm(false, gb, true, mat(v, vo[b]), 1.0f, 0.0f, packed(dS.data(), L, S));  // dP (L, S)
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
      if (dq_on) kernels::gemm(false, packed(dS.data(), L, S), false, mat(k, ko[b]), scale, 0.0f, mat(dq, dqo[b]));
      if (dk_on) kernels::gemm(true, packed(dS.data(), L, S), false, mat(q, qo[b]), scale, 0.0f, mat(dk, dko[b]));
    }
    if (dq_on) accumulate_grad(q_in, dq);
    if (dk_on) accumulate_grad(k_in, dk);
    if (dv_on) accumulate_grad(v_in, dv);
  });
  return y;
}

}  // namespace microtorch::nn::functional
