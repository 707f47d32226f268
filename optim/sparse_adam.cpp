// SparseAdam's row update, float for float torch 1.13's F.sparse_adam on the coalesced gradient (each row's
// gradient g summed per id, from core/grad_state.h's for_each_row_parallel), for the rows present only:
//   t += 1 (per parameter);   dm = (g - m) * (1 - b1);   m = m + dm
//   dv = (g*g - v) * (1 - b2);   v = v + dv;   denom = sqrt(dv + v_old) + eps
//   p = p + (-(lr * sqrt(1 - b2^t) / (1 - b1^t))) * ((dm + m_old) / denom)
// CMakeLists.txt compiles this file with -fno-math-errno so the row loop's std::sqrt vectorises (same floats).
#include "sparse_adam.h"

#include <cmath>
#include <stdexcept>

#include "../core/autograd.h"
#include "../core/grad/door.h"
#include "../core/kernels/prefetch.h"

namespace microtorch::optim {

static void check_sparse_adam_options(const SparseAdamOptions& o) {
  AdamFamily::check_options("SparseAdam", o.lr(), o.eps(), o.betas());
}

SparseAdam::SparseAdam(const std::vector<Tensor>& params, const SparseAdamOptions& o) : SparseAdam(one_group(params), o) {}
SparseAdam::SparseAdam(std::vector<OptimizerParamGroup> groups, const SparseAdamOptions& defaults)
    : AdamFamily((check_sparse_adam_options(defaults), std::move(groups)), defaults.clone(), "SparseAdam") {
  for (const OptimizerParamGroup& g : param_groups()) check_sparse_adam_options(static_cast<const SparseAdamOptions&>(g.options()));
  for (const Tensor& p : params()) {
    if (p.dtype() != kFloat32)
      throw std::invalid_argument("SparseAdam: parameters must be float32 (row gradients are float32 only), got a " +
                                  dtype_name(p.dtype()) + " parameter of shape " + shape_str(p.shape()));
    if (p.dim() != 2)
      throw std::invalid_argument("SparseAdam: parameters must be 2-D tables (V, C) with row gradients, got shape " +
                                  shape_str(p.shape()));
  }
  states_.resize(params().size());
}

void SparseAdam::step() {
  NoGradGuard no_grad;
  // Validate and allocate everything before any parameter moves.
  for (size_t i = 0; i < params().size(); ++i) {
    if (grad::kind(params()[i]) == grad::Kind::kDense)
      throw std::invalid_argument("SparseAdam: parameter " + std::to_string(i) + " of shape " +
                                  shape_str(params()[i].shape()) +
                                  " has a dense gradient (a dense contribution such as a tied head, or grad() read it); "
                                  "SparseAdam takes sparse or row-tracked embedding gradients, use Adam");
  }
  std::vector<AdamParamState> next = states_;
  for (size_t i = 0; i < params().size(); ++i)
    if (grad::kind(params()[i]) != grad::Kind::kNone && next[i].step == 0) {
      next[i].exp_avg = zeros(params()[i].shape());
      next[i].exp_avg_sq = zeros(params()[i].shape());
    }
  states_ = std::move(next);
  for (size_t i = 0; i < params().size(); ++i) {
    const Tensor& p = params()[i];
    if (grad::kind(p) == grad::Kind::kNone) continue;
    const SparseAdamOptions& o = options_of<SparseAdamOptions>(i);
    AdamParamState& s = states_[i];
    s.step += 1;
    const auto [beta1, beta2] = o.betas();
    const double bc1 = 1.0 - std::pow(beta1, static_cast<double>(s.step));
    const double bc2 = 1.0 - std::pow(beta2, static_cast<double>(s.step));
    const float keep1 = static_cast<float>(1.0 - beta1), keep2 = static_cast<float>(1.0 - beta2);
    const float eps = static_cast<float>(o.eps());
    const float neg_step = static_cast<float>(-(o.lr() * std::sqrt(bc2) / bc1));
    const int64_t C = p.shape()[1];
    float* w = p.data_ptr<float>();
    float* m = s.exp_avg.data_ptr<float>();
    float* v = s.exp_avg_sq.data_ptr<float>();
    row_walk().walk_parallel(
        p,
        [=](int64_t id, const grad::Row& g) {
          float* wr = w + id * C;  // seek to row id of the weight and of both moments
          float* mr = m + id * C;
          float* vr = v + id * C;
          for (int64_t j = 0; j < C; ++j) {
            const float gj = g[j], m_old = mr[j], v_old = vr[j];
            const float dm = (gj - m_old) * keep1;
            const float dv = (gj * gj - v_old) * keep2;
            mr[j] = m_old + dm;
            vr[j] = v_old + dv;
            const float denom = std::sqrt(dv + v_old) + eps;
            wr[j] = wr[j] + neg_step * ((dm + m_old) / denom);
          }
        },
        [=](int64_t id) { kernels::prefetch_row(w + id * C, C * int64_t(sizeof(float)), true); });
    grad::bump_version(p);
  }
}

}  // namespace microtorch::optim
