// SGD's update, bit-identical to torch.optim.SGD (_single_tensor_sgd) on the CPU:
//   d = g;            if wd:  d = fma(p, wd, g)
//   if mu:  buf = (first step) ? d : fma(d, 1 - dampening, buf * mu);   d = nesterov ? fma(buf, mu, d) : buf
//   p = fma(d, -lr, p)
// Coefficients are cast to float first, as PyTorch's float32 kernels do.
#include "sgd.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "../core/autograd.h"
#include "../core/grad.h"
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
    CoalescedRows rows = g.coalesce(C);  // (u, C): each row's gradient summed in arrival order
    for (size_t r = 0; r < rows.ids.size(); ++r) {
      float* wr = w + rows.ids[r] * C;  // seek to row ids[r]
      const float* gr = rows.values.data() + r * C;
      for (int64_t j = 0; j < C; ++j) wr[j] = std::fma(gr[j], neg_lr, wr[j]);
    }
    return;
  }
  const float* dense = g.dense.data_ptr<float>();
  for (int64_t id : g.unique_touched()) {
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
  for (int64_t k = 0; k < p.numel(); ++k) {
    float d = wd != 0.0f ? std::fma(w[k], wd, gp[k]) : gp[k];
    if (b) {
      b[k] = first ? d : std::fma(d, keep, b[k] * mu);
      d = options_.nesterov() ? std::fma(b[k], mu, d) : b[k];
    }
    w[k] = std::fma(d, neg_lr, w[k]);
  }
}

}  // namespace microtorch::optim
