// SGD's update, bit-identical to torch.optim.SGD (_single_tensor_sgd) on the CPU:
//   d = g;            if wd:  d = fma(p, wd, g)
//   if mu:  buf = (first step) ? d : fma(d, 1 - dampening, buf * mu);   d = nesterov ? fma(buf, mu, d) : buf
//   p = fma(d, -lr, p)
// Coefficients are cast to the parameter's type first (float or double), as PyTorch's kernels do; the dense step
// is one loop templated on it, so float64 parameters step as torch.optim.SGD's double ones.
#include "sgd.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "../core/autograd.h"
#include "../core/grad/door.h"
#include "../core/kernels/prefetch.h"

namespace microtorch::optim {

static void check_sgd_options(const SGDOptions& o) {
  check_option(o.lr() >= 0.0, "SGD", "learning rate", o.lr(), ">= 0");
  check_option(o.momentum() >= 0.0, "SGD", "momentum", o.momentum(), ">= 0");
  check_option(o.weight_decay() >= 0.0, "SGD", "weight_decay", o.weight_decay(), ">= 0");
  if (o.nesterov() && (o.momentum() <= 0.0 || o.dampening() != 0.0))
    throw std::invalid_argument("SGD: nesterov momentum requires a momentum > 0 and zero dampening, got momentum " +
                                std::to_string(o.momentum()) + " and dampening " + std::to_string(o.dampening()));
}

SGD::SGD(const std::vector<Tensor>& params, const SGDOptions& o) : SGD(one_group(params), o) {}

SGD::SGD(std::vector<OptimizerParamGroup> groups, const SGDOptions& defaults)
    : Optimizer((check_sgd_options(defaults), std::move(groups)), defaults.clone(), "SGD") {
  for (const OptimizerParamGroup& g : param_groups()) check_sgd_options(static_cast<const SGDOptions&>(g.options()));
  momentum_buffers_.resize(params().size());
}

static std::vector<Tensor> clones(const std::vector<Tensor>& buffers) {
  std::vector<Tensor> out;
  for (const Tensor& b : buffers) out.push_back(b.defined() ? b.clone() : Tensor());
  return out;
}
SGD::SGD(const SGD& other) : Optimizer(other), momentum_buffers_(clones(other.momentum_buffers_)) {}
SGD& SGD::operator=(const SGD& other) {
  if (this != &other) {
    Optimizer::operator=(other);
    momentum_buffers_ = clones(other.momentum_buffers_);
  }
  return *this;
}

void SGD::set_momentum_buffer(size_t i, const Tensor& buffer) {
  if (i >= params().size())
    throw std::out_of_range("SGD::set_momentum_buffer: index " + std::to_string(i) + " is outside [0, " +
                            std::to_string(params().size()) + ")");
  if (buffer.defined() && (buffer.dtype() != params()[i].dtype() || buffer.shape() != params()[i].shape()))
    throw std::invalid_argument("SGD::set_momentum_buffer: buffer " + std::to_string(i) + " must be " +
                                dtype_name(params()[i].dtype()) + " (the parameter's dtype) of shape " +
                                shape_str(params()[i].shape()) + ", got " + dtype_name(buffer.dtype()) + " of shape " +
                                shape_str(buffer.shape()));
  momentum_buffers_[i] = buffer.defined() ? buffer.clone().detach() : Tensor();
}

OptimizerState SGD::state() const {
  OptimizerState out;
  for (size_t i = 0; i < momentum_buffers_.size(); ++i)
    if (momentum_buffers_[i].defined()) out.emplace_back("momentum_buffer." + std::to_string(i), momentum_buffers_[i].clone());
  return out;
}

void SGD::load_state(const OptimizerState& state) {
  std::vector<Tensor> buffers = checked_state(state)[0];
  for (size_t i = 0; i < buffers.size(); ++i) check_state_values("momentum_buffer." + std::to_string(i), buffers[i], false);
  momentum_buffers_ = std::move(buffers);
}

// A step that allocates (a row gradient's dense form, a first momentum buffer) does so for every parameter
// before the first one moves, so running out of memory changes nothing.
void SGD::step() {
  NoGradGuard no_grad;
  const size_t n = params().size();
  std::vector<Tensor> dense;    // the dense gradient, where the step reads it (made when a parameter needs it)
  std::vector<Tensor> buffers;
  std::vector<char> first;      // the buffer was made by this step (buf = d)
  for (size_t i = 0; i < n; ++i) {
    const Tensor& p = params()[i];
    const grad::Kind kind = grad::kind(p);
    if (kind == grad::Kind::kNone || rows_only(i)) continue;
    if (dense.empty()) {
      dense.resize(n);
      buffers = momentum_buffers_;
      first.assign(n, 0);
    }
    dense[i] = grad::dense(p);
    const SGDOptions& o = options_of<SGDOptions>(i);
    if (o.momentum() != 0.0 && !buffers[i].defined()) {
      buffers[i] = empty(p.shape(), p.dtype());
      first[i] = 1;
    }
  }
  if (!dense.empty()) momentum_buffers_ = std::move(buffers);
  for (size_t i = 0; i < n; ++i) {
    const Tensor& p = params()[i];
    if (grad::kind(p) == grad::Kind::kNone) continue;
    const SGDOptions& o = options_of<SGDOptions>(i);
    if (rows_only(i)) plain_rows_step(p, o);
    else dense_step(p, dense[i], momentum_buffers_[i], first[i] != 0, o);
    grad::bump_version(p);
  }
}

// A plain step (lr only) on a row gradient: only the rows it holds move.
bool SGD::rows_only(size_t i) const {
  const SGDOptions& o = options_of<SGDOptions>(i);
  const grad::Kind kind = grad::kind(params()[i]);
  return o.momentum() == 0.0 && o.weight_decay() == 0.0 && (kind == grad::Kind::kSparse || kind == grad::Kind::kTracked);
}

// The dense plain step restricted to the rows the gradient holds: p[row] = fma(g[row], -lr, p[row]). Every
// other row has g = 0 and would come out bit-identical, so it is skipped. grad::RowWalk hands each row
// with the dense gradient's floats; distinct rows go to different threads, each row's update stays whole.
void SGD::plain_rows_step(const Tensor& p, const SGDOptions& o) {
  const float neg_lr = static_cast<float>(-o.lr());
  const int64_t C = p.shape().back();
  float* w = p.data_ptr<float>();
  row_walk().walk_parallel(
      p,
      [w, C, neg_lr](int64_t id, const grad::Row& g) {
        float* wr = w + id * C;  // seek to row id
        for (int64_t j = 0; j < C; ++j) wr[j] = std::fma(g[j], neg_lr, wr[j]);
      },
      [w, C](int64_t id) { kernels::prefetch_row(w + id * C, C * int64_t(sizeof(float)), true); });
}

// The dense step in T (float or double) over p (n), its gradient and its momentum buffer.
template <class T>
static void dense_step_t(const Tensor& p, const Tensor& grad, const Tensor& buf, bool first, const SGDOptions& o) {
  const T wd = static_cast<T>(o.weight_decay());
  const T mu = static_cast<T>(o.momentum());
  const T keep = static_cast<T>(1.0 - o.dampening());
  const T neg_lr = static_cast<T>(-o.lr());
  const bool nesterov = o.nesterov();
  T* w = p.data_ptr<T>();
  const T* gp = grad.data_ptr<T>();
  T* b = mu != T(0) ? buf.data_ptr<T>() : nullptr;
  const int64_t n = p.numel();  // a local: stores through w could alias p's size, which kept the loop scalar
  if (!b && wd == T(0)) {  // plain: the loop below without its per-element branches, so it vectorizes
    for (int64_t k = 0; k < n; ++k) w[k] = std::fma(gp[k], neg_lr, w[k]);
    return;
  }
  for (int64_t k = 0; k < n; ++k) {
    T d = wd != T(0) ? std::fma(w[k], wd, gp[k]) : gp[k];
    if (b) {
      b[k] = first ? d : std::fma(d, keep, b[k] * mu);
      d = nesterov ? std::fma(b[k], mu, d) : b[k];
    }
    w[k] = std::fma(d, neg_lr, w[k]);
  }
}

void SGD::dense_step(const Tensor& p, const Tensor& grad, const Tensor& buf, bool first, const SGDOptions& o) {
  if (p.dtype() == kFloat64) dense_step_t<double>(p, grad, buf, first, o);
  else dense_step_t<float>(p, grad, buf, first, o);
}

}  // namespace microtorch::optim
