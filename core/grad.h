// The one gradient contract, in every mode (dense, the default embedding's row-tracked dense, sparse rows):
//   t.grad() is the gradient that the next step() and the next accumulation use. Writing into it in place
//   (a penalty, noise, a hand-written clip) works as in PyTorch: the next step sees every element.
//   zero_grad() sets it to none (PyTorch 2's set_to_none) and never writes into a buffer a caller still holds.
// The fast modes keep their cost while nobody looks: a row-tracked or sparse gradient lets zero_grad and a
// plain SGD step touch only the looked-up rows. Looking makes that cycle dense: grad() on a row-tracked
// gradient hands out its buffer and the step and zero_grad take the full path; grad() on a sparse gradient
// turns it into the dense live gradient. sparse_grad() stays the cheap view of the rows.
// How the state is held is internal (grad_state.h); ops add into gradients with accumulate_grad (extend.h).
#pragma once
#include "tensor.h"

namespace microtorch {

// Adds a dense gradient g (float32, t's shape) into t's gradient, if t requires grad. Backward closures call
// it; it never assigns. std::invalid_argument for a g of another dtype or shape, before anything is written.
void accumulate_grad(const Tensor& t, const Tensor& g);

// The sparse gradient of t as PyTorch shows it (uncoalesced: ids in order, repeats kept, padding removed,
// scale applied), built without a dense buffer, while t's gradient is held as rows (an embedding with
// sparse(true), before anything read grad()). Empty (n = 0) otherwise.
struct SparseGrad {
  Tensor indices;  // (n) int64
  Tensor values;   // (n, C) float32
};
SparseGrad sparse_grad(const Tensor& t);

// Sets t's gradient to none, as PyTorch 2's zero_grad(set_to_none=True).
void zero_grad(const Tensor& t);

}  // namespace microtorch
