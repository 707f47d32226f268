// SGD's update, bit-identical to torch.optim.SGD (_single_tensor_sgd) on the CPU:
//   d = g;            if wd:  d = fma(p, wd, g)
//   if mu:  buf = (first step) ? d : fma(d, 1 - dampening, buf * mu);   d = nesterov ? fma(buf, mu, d) : buf
//   p = fma(d, -lr, p)
// Coefficients are cast to float first, as PyTorch's float32 kernels do.
#include "sgd.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "../core/autograd.h"
#include "../core/grad.h"
#include "../core/prefetch.h"
#include "../nn/module.h"

namespace microtorch::optim {

static void check_option(const char* name, double v) {
  if (!(v >= 0.0))
    throw std::invalid_argument(std::string("SGD: invalid ") + name + " " + std::to_string(v) + " (expected >= 0)");
}

SGD::SGD(const std::vector<Tensor>& params, const SGDOptions& o) : options_(o) {
  check_option("learning rate", o.lr());
  check_option("momentum", o.momentum());
  check_option("weight_decay", o.weight_decay());
  if (o.nesterov() && (o.momentum() <= 0.0 || o.dampening() != 0.0))
    throw std::invalid_argument("SGD: nesterov momentum requires a momentum > 0 and zero dampening, got momentum " +
                                std::to_string(o.momentum()) + " and dampening " + std::to_string(o.dampening()));
  params_ = nn::unique_tensors(params);
  for (const Tensor& p : params_)
    if (p.dtype() != kFloat32 || !p.is_leaf())
      throw std::invalid_argument("SGD: parameters must be float32 leaf tensors, got a " + dtype_name(p.dtype()) +
                                  (p.is_leaf() ? " leaf" : " non-leaf") + " of shape " + shape_str(p.shape()));
  momentum_buffers_.resize(params_.size());
}

void SGD::zero_grad() {
  for (const Tensor& p : params_) microtorch::zero_grad(p);
}

void SGD::step() {
  NoGradGuard no_grad;
  const bool plain = options_.momentum() == 0.0 && options_.weight_decay() == 0.0;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    const Grad* g = p.impl_ptr()->grad.get();
    if (!g || !g->defined()) continue;
    if (plain && (g->only_rows() || g->only_touched_rows())) plain_rows_step(p);
    else dense_step(p, momentum_buffers_[i]);
    p.bump_version();
  }
}

// p[row] = fma(g[row], -lr, p[row]) for the rows the gradient holds; every other row has g = 0 and
// would come out bit-identical, so it is skipped.
void SGD::plain_rows_step(const Tensor& p) {
  const Grad& g = *p.impl_ptr()->grad;
  const float neg_lr = static_cast<float>(-options_.lr());
  const int64_t C = p.shape().back();
  float* w = p.data_ptr<float>();
  if (g.only_rows()) {
    // Each id's rows summed as the dense buffer gets them (grad.cpp: per chunk from zero in arrival order,
    // the chunk sums then added), one id at a time in (C) scratch rows that stay in L1: no (u, C) buffer.
    struct RowRef {
      int64_t id;
      size_t chunk;      // which RowChunk (one lookup's backward) the row came from
      const float* src;  // (C) gradient row
      float scale;
    };
    std::vector<RowRef> refs;
    for (size_t c = 0; c < g.rows.size(); ++c) {
      const RowChunk& chunk = g.rows[c];
      const float* values = chunk.values.data_ptr<float>();
      for (size_t i = 0; i < chunk.ids.size(); ++i)
        if (chunk.ids[i] >= 0) refs.push_back({chunk.ids[i], c, values + i * C, chunk.scale.empty() ? 1.0f : chunk.scale[i]});
    }
    std::stable_sort(refs.begin(), refs.end(), [](const RowRef& a, const RowRef& b) { return a.id < b.id; });
    std::vector<float> acc(static_cast<size_t>(C)), part(static_cast<size_t>(C));
    std::vector<RowRef> singles;  // ids met once: applied after, in memory order (a stream, not a gather)
    for (size_t r = 0; r < refs.size();) {
      const int64_t id = refs[r].id;
      size_t end = r + 1;
      while (end < refs.size() && refs[end].id == id) ++end;
      if (end == r + 1) {
        singles.push_back(refs[r++]);
        continue;
      }
      std::fill(acc.begin(), acc.end(), 0.0f);
      while (r < end) {  // every chunk holding this id, in arrival order
        const size_t c = refs[r].chunk;
        std::fill(part.begin(), part.end(), 0.0f);
        for (; r < end && refs[r].chunk == c; ++r) {  // its rows, in order
          const float* src = refs[r].src;
          const float s = refs[r].scale;
          for (int64_t j = 0; j < C; ++j) part[j] = std::fma(src[j], s, part[j]);
        }
        for (int64_t j = 0; j < C; ++j) acc[j] += part[j];
      }
      float* wr = w + id * C;  // seek to row id
      for (int64_t j = 0; j < C; ++j) wr[j] = std::fma(acc[j], neg_lr, wr[j]);
    }
    // A lone row: acc = 0 + fma(src, s, 0), the same floats as above without the scratch rows.
    std::sort(singles.begin(), singles.end(), [](const RowRef& a, const RowRef& b) { return a.src < b.src; });
    for (size_t k = 0; k < singles.size(); ++k) {
      if (k + detail::kRowsAhead < singles.size())  // the weight row a few on: scattered in memory
        detail::prefetch_row(w + singles[k + detail::kRowsAhead].id * C, C * int64_t(sizeof(float)), true);
      const float* src = singles[k].src;
      const float s = singles[k].scale;
      float* wr = w + singles[k].id * C;  // seek to row id
      for (int64_t j = 0; j < C; ++j) wr[j] = std::fma(0.0f + std::fma(src[j], s, 0.0f), neg_lr, wr[j]);
    }
    return;
  }
  const float* dense = g.dense.data_ptr<float>();
  const std::vector<int64_t> ids = g.unique_touched();
  for (size_t r = 0; r < ids.size(); ++r) {
    if (r + detail::kRowsAhead < ids.size()) {  // the rows a few ids on: scattered in memory
      const int64_t next = ids[r + detail::kRowsAhead];
      detail::prefetch_row(dense + next * C, C * int64_t(sizeof(float)));
      detail::prefetch_row(w + next * C, C * int64_t(sizeof(float)), true);
    }
    const int64_t id = ids[r];
    float* wr = w + id * C;  // seek to row id
    const float* gr = dense + id * C;
    for (int64_t j = 0; j < C; ++j) wr[j] = std::fma(gr[j], neg_lr, wr[j]);
  }
}

void SGD::dense_step(const Tensor& p, Tensor& buf) {
  const Tensor grad = p.impl_ptr()->grad->to_dense(p.shape());
  const float wd = static_cast<float>(options_.weight_decay());
  const float mu = static_cast<float>(options_.momentum());
  const float keep = static_cast<float>(1.0 - options_.dampening());
  const float neg_lr = static_cast<float>(-options_.lr());
  const bool first = !buf.defined();
  if (mu != 0.0f && first) buf = empty(p.shape());
  float* w = p.data_ptr<float>();
  const float* gp = grad.data_ptr<float>();
  float* b = mu != 0.0f ? buf.data_ptr<float>() : nullptr;
  const int64_t n = p.numel();  // a local: stores through w could alias p's size, which kept the loop scalar
  if (!b && wd == 0.0f) {  // plain: the loop below without its per-element branches, so it vectorizes
    for (int64_t k = 0; k < n; ++k) w[k] = std::fma(gp[k], neg_lr, w[k]);
    return;
  }
  for (int64_t k = 0; k < n; ++k) {
    float d = wd != 0.0f ? std::fma(w[k], wd, gp[k]) : gp[k];
    if (b) {
      b[k] = first ? d : std::fma(d, keep, b[k] * mu);
      d = options_.nesterov() ? std::fma(b[k], mu, d) : b[k];
    }
    w[k] = std::fma(d, neg_lr, w[k]);
  }
}

}  // namespace microtorch::optim
