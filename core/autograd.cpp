// The backward pass: sort the recorded nodes, replay their closures in reverse, free the graph.
#include "autograd.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "grad.h"
#include "grad/state.h"
#include "ops/tensor_access.h"
#include "ops/views.h"

namespace microtorch {

static thread_local bool grad_enabled = true;
bool GradMode::is_enabled() { return grad_enabled; }
void GradMode::set_enabled(bool on) { grad_enabled = on; }

static thread_local bool anomaly_enabled = false;
namespace autograd {
DetectAnomalyGuard::DetectAnomalyGuard() : prev_(anomaly_enabled) { anomaly_enabled = true; }
DetectAnomalyGuard::~DetectAnomalyGuard() { anomaly_enabled = prev_; }
bool DetectAnomalyGuard::is_enabled() { return anomaly_enabled; }
}  // namespace autograd

bool Tensor::requires_grad() const {
  if (impl().base) detail::refresh_view(*this);  // a write through another view may have given it a node
  return impl().requires_grad;
}

bool Tensor::is_leaf() const {
  if (impl().base) detail::refresh_view(*this);
  return impl().grad_fn == nullptr;
}

// Releasing a graph: dropping the last handle on a value frees its node, whose inputs free theirs, and so
// on; done by plain destructors that is one nested call per op of the chain, and a 100k-op chain overflows
// the stack. Instead a dying node hands every input node it holds the last reference to (and whose value
// it holds the last reference to) to a local list, and that list is emptied in a loop. The backward closure
// goes first: it holds further handles on the same inputs.
Node::~Node() {
  std::vector<std::shared_ptr<Node>> doomed;
  auto take_inputs = [&doomed](Node& n) {
    n.backward = nullptr;
    for (Tensor& in : n.inputs) {
      const std::shared_ptr<TensorImpl>& impl = detail::shared_impl(in);
      if (impl && impl.use_count() == 1 && impl->grad_fn && impl->grad_fn.use_count() == 1)
        doomed.push_back(std::move(impl->grad_fn));
    }
    n.inputs.clear();
  };
  take_inputs(*this);
  while (!doomed.empty()) {
    std::shared_ptr<Node> n = std::move(doomed.back());
    doomed.pop_back();
    take_inputs(*n);  // n is freed at the end of this iteration, holding no more inputs
  }
}

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

namespace {

std::string op_name(const char* op) { return op ? op : "(unnamed op)"; }

// The body of record and record_strided: out's node, when some input requires grad.
void record_node(Tensor& out, const char* op, std::vector<Tensor> inputs, BackwardFn backward, Saved saved, bool strided) {
  auto name = [op] { return op_name(op); };
  if (!out.defined())
    throw std::invalid_argument("record: the output of '" + name() + "' is an undefined Tensor; expected the op's result");
  if (!needs_grad(inputs)) return;
  if (!backward)
    throw std::invalid_argument("record: the backward function of '" + name() + "' is empty; expected a callable");
  auto node = std::make_shared<Node>();
  node->op = name();
  node->input_versions.reserve(inputs.size());  // one per input; kUnchecked when the backward reads no value
  for (const Tensor& t : inputs)
    node->input_versions.push_back(saved != Saved::Inputs || !t.defined() ? Node::kUnchecked
                                                                         : detail::impl_ptr(t)->storage->version);
  if (saved == Saved::Output) node->output_version = detail::impl_ptr(out)->storage->version;
  node->inputs = std::move(inputs);
  node->backward = std::move(backward);
  node->strided_grad = strided;
  detail::impl_ptr(out)->requires_grad = true;
  detail::impl_ptr(out)->grad_fn = std::move(node);
}

}  // namespace

// An op's own result is a tensor of its own. A view of another tensor (made under NoGradGuard, say) would
// keep its base: an in-place write into it would then change the base's node and lose this one.
void record(Tensor& out, const char* op, std::vector<Tensor> inputs, BackwardFn backward, Saved saved) {
  if (out.defined() && out.is_view() && needs_grad(inputs))
    throw std::invalid_argument("record: the output of '" + op_name(op) + "' is a view of another tensor; expected "
                                "a tensor of its own (clone() the view, or compute the value out of place)");
  record_node(out, op, std::move(inputs), std::move(backward), saved, false);
}

void record_strided(Tensor& out, const char* op, std::vector<Tensor> inputs, BackwardFn backward, Saved saved) {
  record_node(out, op, std::move(inputs), std::move(backward), saved, true);
}

Tensor& Tensor::requires_grad_(bool on) {
  if (!on && !is_leaf())
    throw std::runtime_error("requires_grad_(false): only a leaf can stop requiring grad; use detach()");
  if (on && !is_floating_point())
    throw std::invalid_argument("requires_grad_: only floating-point tensors (float32, float64, float16, "
                                "bfloat16) can require grad, this one is " + dtype_name(dtype()));
  impl().requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const {
  const auto& g = impl().grad;
  if (!is_leaf() || !g) return Tensor();
  return g->hand_out(shape());  // the live gradient: writes into it reach the next step (grad.h)
}

// Interior values in an order where each comes after every value computed from it (outputs first).
// Holds each value alive (shared) while the graph is freed node by node.
static std::vector<std::shared_ptr<TensorImpl>> topological_order(const std::shared_ptr<TensorImpl>& root) {
  std::vector<std::shared_ptr<TensorImpl>> order;
  order.reserve(16);
  std::unordered_set<TensorImpl*> seen{root.get()};
  std::vector<std::pair<std::shared_ptr<TensorImpl>, size_t>> stack;  // (value, next input to visit)
  stack.reserve(16);
  stack.push_back({root, 0});
  while (!stack.empty()) {
    auto& [t, next] = stack.back();
    const Node* node = t->grad_fn.get();
    if (node && next < node->inputs.size()) {
      const std::shared_ptr<TensorImpl>& in = detail::shared_impl(node->inputs[next++]);
      if (in && in->grad_fn && seen.insert(in.get()).second) stack.push_back({in, 0});
      continue;
    }
    if (t->grad_fn) order.push_back(t);  // a leaf root has nothing to replay
    stack.pop_back();
  }
  std::reverse(order.begin(), order.end());
  return order;
}

static void check_finite(const Node& node) {
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const Tensor& in = node.inputs[i];
    if (!in.defined() || !detail::impl_ptr(in)->grad) continue;
    Tensor g = detail::impl_ptr(in)->grad->dense_copy(in.shape()).contiguous();
    const float* p = g.data_ptr<float>();
    for (int64_t k = 0; k < g.numel(); ++k)
      if (!std::isfinite(p[k]))
        throw std::runtime_error("anomaly: the backward of '" + node.op + "' produced " +
                                 (std::isnan(p[k]) ? "NaN" : "Inf") + " in the gradient of its input " +
                                 std::to_string(i) + " at flat index " + std::to_string(k));
  }
}

void Tensor::backward(const Tensor& grad_out) const {
  detail::refresh_view(*this);
  if (!requires_grad())
    throw std::runtime_error("backward: this tensor does not require grad and has no grad_fn");
  // The seed is checked before anything is stored: a wrong one would poison every later grad() and step().
  auto op = [this] { return is_leaf() ? std::string("a leaf tensor") : "the output of '" + impl().grad_fn->op + "'"; };
  if (!grad_out.defined() && numel() != 1)
    throw std::invalid_argument("backward: grad_out can be omitted only for a one-element tensor; " + op() +
                                " has shape " + shape_str(shape()));
  if (grad_out.defined() && (grad_out.dtype() != dtype() || grad_out.shape() != shape()))
    throw std::invalid_argument("backward: grad_out for " + op() + " must be " + dtype_name(dtype()) + " of shape " +
                                shape_str(shape()) + ", got " + dtype_name(grad_out.dtype()) + " of shape " +
                                shape_str(grad_out.shape()));
  const auto order = topological_order(shared_impl());
  for (const auto& t : order) {
    const Node& node = *t->grad_fn;
    if (!node.backward)
      throw std::runtime_error("backward: the graph through '" + node.op +
                               "' was already freed by an earlier backward; run the forward again");
    for (size_t i = 0; i < node.inputs.size(); ++i)
      if (node.inputs[i].defined() && node.input_versions[i] != Node::kUnchecked &&
          detail::impl_ptr(node.inputs[i])->storage->version != node.input_versions[i])
        throw std::runtime_error("backward: input " + std::to_string(i) + " of '" + node.op +
                                 "' was modified by an in-place operation after it was used; clone it first");
    if (node.output_version != Node::kUnchecked && t->storage->version != node.output_version)
      throw std::runtime_error("backward: the output of '" + node.op + "', which its backward reads, was modified by "
                               "an in-place operation; clone it before writing");
  }
  NoGradGuard no_grad;  // closures compute gradients with ordinary ops; nothing of that is recorded
  // The seed: ones, or grad_out itself. A leaf's gradient copies it (grad.cpp: it never aliases the
  // caller's tensor); an interior value's gradient is only read by its node's backward.
  accumulate_grad(*this, grad_out.defined() ? grad_out.detach() : ones(shape(), dtype()));
  for (const auto& t : order) {
    Node& node = *t->grad_fn;
    std::unique_ptr<detail::GradState> g = std::move(t->grad);  // an interior gradient lives only until used
    if (g && g->defined()) {
      Tensor dy = g->dense_copy(t->shape);
      g.reset();  // dy is now the only handle on it, so a leaf can keep it rather than copy (grad/state.cpp)
      if (!node.strided_grad) dy = dy.contiguous();  // only a view's backward takes any layout
      node.backward(dy);
      if (autograd::DetectAnomalyGuard::is_enabled()) check_finite(node);
    }
    node.backward = nullptr;  // free the saved tensors: a second backward through here throws
    node.inputs.clear();
  }
}

}  // namespace microtorch
