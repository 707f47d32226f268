// In-place add_, mul_, zero_, fill_, as PyTorch: each bumps the storage's version (so a backward that saved
// the old value refuses to run), and a leaf that requires grad may be written only under NoGradGuard.
// On an interior value under grad mode (or when the other operand requires grad) the write is recorded: the
// old value and its node move to a fresh handle `prev`, and this tensor becomes the result of the
// out-of-place op on prev, so gradients flow through the write.
#include <cstring>
#include <unordered_set>

#include "../autograd.h"
#include "../grad.h"
#include "../ops.h"
#include "broadcast.h"
#include "dispatch.h"
#include "xt.h"
#include "tensor_access.h"

namespace microtorch {

// Validates the write; returns true when it must be recorded on the tape.
static bool check_inplace(const char* op, const Tensor& self, const Tensor* other) {
  if (other) {
    detail::check_float(op, self);
    detail::check_float(op, *other);
    if (detail::broadcast_shapes(op, {self.shape(), other->shape()}) != self.shape())
      throw std::invalid_argument(std::string(op) + ": the operand of shape " + shape_str(other->shape()) +
                                  " does not broadcast to the tensor's shape " + shape_str(self.shape()));
  }
  if (!GradMode::is_enabled()) return false;
  if (self.requires_grad() && self.is_leaf())
    throw std::runtime_error(std::string(op) + ": a leaf tensor that requires grad is being written in place; "
                             "wrap the write in NoGradGuard (as torch.no_grad())");
  return self.requires_grad() || (other && other->requires_grad());
}

// Records the write as y = op_of(prev): prev takes this value's old data and node; then this tensor gets y's
// values and node. Consumers recorded before the write see the version bump and refuse to backward.
template <class Op> static void write_recorded(const Tensor& self, Op op_of) {
  const size_t nbytes = static_cast<size_t>(self.numel()) * element_size(self.dtype());
  auto old = std::make_shared<TensorImpl>(make_storage(nbytes), self.shape(), self.dtype());
  std::memcpy(old->storage->data, detail::raw_data(self), nbytes);
  old->requires_grad = self.requires_grad();
  old->grad_fn = detail::impl_ptr(self)->grad_fn;
  const Tensor y = op_of(Tensor(old));
  std::memcpy(detail::raw_data(self), detail::raw_data(y), nbytes);
  detail::impl_ptr(self)->grad_fn = detail::impl_ptr(y)->grad_fn;
  detail::impl_ptr(self)->requires_grad = y.requires_grad();
}

// The operand of a recorded write. When other is self, or a view of self's storage (the same bytes: every
// view covers the whole storage), its value is the old value, so the recorded op reads prev (viewed to
// other's shape): reading other itself would put self into its own node's inputs, a reference cycle that
// is never freed and a graph that reaches itself.
static bool aliases(const Tensor& self, const Tensor& other) {
  return detail::impl_ptr(other)->storage == detail::impl_ptr(self)->storage &&
         detail::raw_data(other) == detail::raw_data(self) && other.numel() == self.numel();
}
static Tensor recorded_operand(const Tensor& self, const Tensor& prev, const Tensor& other) {
  return aliases(self, other) ? prev.view(other.shape()) : other;
}

// A recorded write whose operand was computed from this tensor (y.mul_(y.relu())): the new node would reach
// self through the operand's graph, a reference cycle never freed. That graph is stale after the write anyway
// (its node saw self's old version, so backward would refuse), so the write is refused before anything changes.
// An operand that aliases self (self, a view of it) is read as the old value instead.
static void check_operand_not_from_self(const char* op, const Tensor& self, const Tensor& other) {
  if (aliases(self, other)) return;  // read as the old value (recorded_operand)
  std::vector<const Node*> todo;
  std::unordered_set<const Node*> seen;
  if (detail::impl_ptr(other)->grad_fn) todo.push_back(detail::impl_ptr(other)->grad_fn.get());
  while (!todo.empty()) {
    const Node* node = todo.back();
    todo.pop_back();
    if (!seen.insert(node).second) continue;
    for (const Tensor& input : node->inputs) {
      if (!input.defined()) continue;
      if (detail::impl_ptr(input) == detail::impl_ptr(self))
        throw std::invalid_argument(std::string(op) + ": the operand was computed from this tensor (through " +
                                    node->op + "), so the recorded write would make the graph reach itself; "
                                    "expected an operand independent of it (write into a clone instead)");
      if (detail::impl_ptr(input)->grad_fn) todo.push_back(detail::impl_ptr(input)->grad_fn.get());
    }
  }
}

// self (op)= other broadcast to self's shape, as a raw loop (other is copied first if it shares the storage).
template <class F> static void apply_broadcast(const Tensor& self, Tensor other, F f) {
  if (detail::impl_ptr(other)->storage == detail::impl_ptr(self)->storage && other.shape() != self.shape()) other = other.detach().clone();
  const std::array<std::vector<int64_t>, 1> strides{detail::broadcast_strides(other.shape(), self.shape())};
  float* o = self.data_ptr<float>();
  const float* u = other.data_ptr<float>();
  detail::for_each_broadcast(self.shape(), strides, [&](int64_t i, const std::array<int64_t, 1>& off) { o[i] = f(o[i], u[off[0]]); });
}

Tensor& Tensor::add_(const Tensor& other) {
  if (check_inplace("add_", *this, &other)) {
    check_operand_not_from_self("add_", *this, other);
    write_recorded(*this, [&](const Tensor& prev) { return prev + recorded_operand(*this, prev, other); });
  } else {
    apply_broadcast(*this, other, [](float x, float u) { return x + u; });
  }
  bump_version();
  return *this;
}

Tensor& Tensor::mul_(const Tensor& other) {
  if (check_inplace("mul_", *this, &other)) {
    check_operand_not_from_self("mul_", *this, other);
    write_recorded(*this, [&](const Tensor& prev) { return prev * recorded_operand(*this, prev, other); });
  } else {
    apply_broadcast(*this, other, [](float x, float u) { return x * u; });
  }
  bump_version();
  return *this;
}

Tensor& Tensor::mul_(float s) {
  detail::check_float("mul_", *this);
  if (check_inplace("mul_", *this, nullptr)) {
    write_recorded(*this, [s](const Tensor& prev) { return prev * s; });
  } else {
    float* o = data_ptr<float>();
    for (int64_t i = 0; i < numel(); ++i) o[i] *= s;
  }
  bump_version();
  return *this;
}

// Every element = value (cast to the dtype). Recorded, the old value gets a zero gradient.
Tensor& Tensor::fill_(float value) {
  detail::check_value_fits("fill_", value, dtype());
  const bool recorded = check_inplace("fill_", *this, nullptr);
  auto fill = [value](const Tensor& t) {
    detail::dispatch(t.dtype(), [&](auto tag) {
      using T = decltype(tag);
      std::fill_n(static_cast<T*>(detail::raw_data(t)), t.numel(), static_cast<T>(value));
    });
  };
  if (recorded) {
    write_recorded(*this, [&](const Tensor& prev) {
      Tensor y = empty(prev.shape(), prev.dtype());
      fill(y);
      record(y, "fill_", {prev}, [prev](const Tensor&) { accumulate_grad(prev, zeros(prev.shape())); });
      return y;
    });
  } else {
    fill(*this);
  }
  bump_version();
  return *this;
}

Tensor& Tensor::zero_() { return fill_(0.0f); }

}  // namespace microtorch
