// Writing your own differentiable op: the three calls the built-in ops use, and nothing of how gradients
// are held inside (that is core/grad/, not installed).
//
//   // y = a * a (same shape); da += dy * 2a
//   mt::Tensor square(const mt::Tensor& a) {
//     mt::Tensor y;
//     { mt::NoGradGuard off; y = a * a; }        // the value, kept off the tape
//     mt::record(y, "square", {a}, [a](const mt::Tensor& dy) {   // capture inputs, never y itself
//       mt::accumulate_grad(a, dy * a * 2.0f);   // ADD into a's gradient (a value used twice gets both)
//     });
//     return y;
//   }
//
// - needs_grad(inputs): grad mode is on and some input requires grad (else record() does nothing anyway).
// - record(out, op, inputs, backward): out becomes the result of `op`; backward(dout) runs once, under
//   NoGradGuard, with dout of out's shape, and must accumulate_grad into each input that requires grad.
//   The op name appears in errors (a wrong backward seed, an input changed in place, an anomaly). A fifth
//   argument, Saved::Nothing, tells that backward reads no input's values (only shapes): writing an input in
//   place after the op is then allowed, as PyTorch allows it for add. Saved::Output: backward reads only
//   out's value (captured as out.detach()), and a write into out refuses the backward. An undefined out, or
//   an out that is a view of another tensor (clone it), is std::invalid_argument.
// - accumulate_grad(t, g): g float32 of t's shape (std::invalid_argument otherwise); a no-op when t does
//   not require grad. Check the result with autograd::gradcheck (gradcheck.h).
#pragma once
#include "autograd.h"
#include "grad.h"
#include "gradcheck.h"
