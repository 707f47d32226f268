// The tape. Each differentiable op calls record(): the result remembers a Node holding the op's
// inputs and a backward closure, written right beside the op's forward. Tensor::backward() orders
// the recorded nodes (a topological sort from the output) and replays them in reverse, each closure
// adding its inputs' gradients with accumulate_grad (grad.h). The graph is freed as it is replayed.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "tensor.h"

namespace microtorch {

// Grad mode: one thread-local switch. NoGradGuard turns recording off for its scope.
struct GradMode {
  static bool is_enabled();
  static void set_enabled(bool on);
};
class NoGradGuard {
 public:
  NoGradGuard() : prev_(GradMode::is_enabled()) { GradMode::set_enabled(false); }
  ~NoGradGuard() { GradMode::set_enabled(prev_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

using BackwardFn = std::function<void(const Tensor& dout)>;

struct Node {
  static constexpr uint64_t kUnchecked = ~uint64_t{0};
  Node() = default;
  ~Node();  // iterative: a chain of 100k ops is released without one stack frame per op (autograd.cpp)
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  std::string op;                        // "mul", "embedding", ...: named in errors
  std::vector<Tensor> inputs;            // the edges backward walks
  std::vector<uint64_t> input_versions;  // storage versions when recorded (kUnchecked: values never read)
  uint64_t output_version = kUnchecked;  // the result's, for a backward that reads it (Saved::Output)
  BackwardFn backward;                   // adds into the inputs' gradients; empty once freed
  bool strided_grad = false;             // backward takes dout in any layout (a view's); else row-major
};

// True when `out` should be recorded: grad mode is on and some input requires grad.
bool needs_grad(const std::vector<Tensor>& inputs);

// Whether the backward reads its inputs' values. Saved::Inputs (the default): a backward after one of them
// was written in place is refused, as the value it would read is no longer the one the op saw.
// Saved::Nothing: the backward needs only shapes (add, sub, neg, sum, mean, copies and views), and such a
// write is allowed, as PyTorch allows it for ops that save nothing.
// Saved::Output: the backward reads the op's own result (exp, sqrt, sigmoid, softmax, ...), not its inputs:
// a backward after the result was written in place is refused.
enum class Saved { Inputs, Nothing, Output };

// Makes `out` the result of `op` on `inputs` with the given backward, if any input requires grad. The
// backward gets dout in row-major order. std::invalid_argument for an undefined `out`, an empty backward, or
// an `out` that is a view of another tensor (an op's result is a tensor of its own).
void record(Tensor& out, const char* op, std::vector<Tensor> inputs, BackwardFn backward,
            Saved saved = Saved::Inputs);
// The same for a backward that reads dout through its strides (it may arrive as a transposed or otherwise
// non-contiguous view): nothing is copied into row-major order first. The view ops record through it, so
// `out` may be a view of inputs[0].
void record_strided(Tensor& out, const char* op, std::vector<Tensor> inputs, BackwardFn backward,
                    Saved saved = Saved::Inputs);

namespace autograd {

// Under this guard every backward closure's gradients are checked: a NaN or Inf names the op that made it.
class DetectAnomalyGuard {
 public:
  DetectAnomalyGuard();
  ~DetectAnomalyGuard();
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;
  static bool is_enabled();

 private:
  bool prev_;
};

}  // namespace autograd
}  // namespace microtorch
