// cumsum: running sums along one dim. The input is seen as (outer, D, inner) around the dim; each of the
// outer * inner columns is summed from its first element on (in double for floats, as PyTorch's CPU kernel
// accumulates; in int64 for integers and bool, which give int64, as PyTorch).
#include <stdexcept>
#include <string>

#include "../autograd.h"
#include "../kernels/binary_op.h"
#include "../grad.h"
#include "../ops.h"
#include "dispatch.h"

namespace microtorch {

namespace {

struct Columns {
  int64_t outer = 1, D = 1, inner = 1;
};
Columns columns_of(const Shape& s, int64_t d) {
  Columns c;
  for (int64_t i = 0; i < static_cast<int64_t>(s.size()); ++i) {
    if (i < d) c.outer *= s[i];
    else if (i == d) c.D = s[i];
    else c.inner *= s[i];
  }
  return c;
}

// out (outer, D, inner) = running sums of x (outer, D, inner) along D, from the front (or from the back when
// reverse: the gradient of a running sum). Acc is the accumulator type.
template <class T, class Acc> void running_sum(const T* x, T* out, const Columns& c, bool reverse) {
  for (int64_t o = 0; o < c.outer; ++o)
    for (int64_t i = 0; i < c.inner; ++i) {
      const int64_t at = o * c.D * c.inner + i;  // seek to column (o, :, i), stride inner
      Acc acc = 0;
      for (int64_t j = 0; j < c.D; ++j) {
        const int64_t k = at + (reverse ? c.D - 1 - j : j) * c.inner;
        acc = kernels::Add{}(acc, static_cast<Acc>(x[k]));  // integers wrap, as PyTorch's
        out[k] = static_cast<T>(acc);
      }
    }
}

}  // namespace

// y[j] = a[0] + ... + a[j] along dim. da[j] += dy[j] + ... + dy[D - 1]: the running sum of dy from the back.
Tensor cumsum(const Tensor& a_in, int64_t dim) {
  if (!a_in.defined()) throw std::invalid_argument("cumsum: expected a tensor, got an undefined tensor");
  const int64_t d = detail::wrap_dim("cumsum", dim, a_in.dim() == 0 ? 1 : a_in.dim());
  if (a_in.dtype() == kFloat16 || a_in.dtype() == kBFloat16) return cumsum(a_in.to(kFloat32), dim).to(a_in.dtype());
  if (!a_in.is_floating_point()) {  // integers and bool: int64 sums, nothing to differentiate
    const Tensor a = a_in.to(kInt64).contiguous();
    Tensor y = empty(a.shape(), kInt64);
    running_sum<int64_t, int64_t>(a.data_ptr<int64_t>(), y.data_ptr<int64_t>(), columns_of(a.shape(), d), false);
    return y;
  }
  const Tensor a = a_in.contiguous();
  const Columns c = columns_of(a.shape(), d);
  Tensor y = empty(a.shape(), a.dtype());
  detail::dispatch_float(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    running_sum<T, double>(a.data_ptr<T>(), y.data_ptr<T>(), c, false);
  });
  record(y, "cumsum", {a}, [a, c](const Tensor& dy) {
    Tensor da = empty(a.shape(), a.dtype());
    detail::dispatch_float(a.dtype(), [&](auto tag) {
      using T = decltype(tag);
      running_sum<T, double>(dy.data_ptr<T>(), da.data_ptr<T>(), c, true);
    });
    accumulate_grad(a, da);
  }, Saved::Nothing);
  return y;
}

}  // namespace microtorch
