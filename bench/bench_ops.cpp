// The general engine's rows: one per op class, forward and forward+backward, microtorch / libtorch on the
// same shapes (version 2's GPT ops among them). A row is one line here and one in torch_ops.cpp, same name.
// Forward+backward rows set the inputs' gradients to none first (as zero_grad(set_to_none) in both).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <microtorch/microtorch.h>

#include "bench.h"

namespace mt = microtorch;
namespace F = microtorch::nn::functional;

namespace bench {

namespace {

mt::Tensor rnd(const mt::Shape& s) { return mt::randn(s); }
mt::Tensor pos(const mt::Shape& s) { return (mt::rand(s) + 0.5f).detach(); }  // divisors away from 0
mt::Tensor leaf(mt::Tensor t) { return t.requires_grad_(true); }
// n class ids in [0, classes), the same for both libraries (bench::class_ids).
mt::Tensor targets(int64_t n, int64_t classes) { return mt::tensor(class_ids(n, classes), {n}); }
void none(std::initializer_list<mt::Tensor> ts) {
  for (const auto& t : ts) mt::zero_grad(t);
}

struct OpRow {
  const char* name;  // also the key of torch_op()
  std::function<Workload()> make;
};

// 1M floats unless said; (1024, 1024) for the row and column broadcasts.
const OpRow kOpRows[] = {
    {"x * 2.0f", [] { auto x = rnd({1 << 20}); return Workload([x] { mt::Tensor y = x * 2.0f; }); }},
    {"x + y", [] { auto x = rnd({1 << 20}), y = rnd({1 << 20}); return Workload([x, y] { mt::Tensor z = x + y; }); }},
    {"x * row (1024,1024)x(1,1024)", [] { auto x = rnd({1024, 1024}), r = rnd({1, 1024}); return Workload([x, r] { mt::Tensor y = x * r; }); }},
    {"x / col (1024,1024)/(1024,1)", [] { auto x = rnd({1024, 1024}), c = pos({1024, 1}); return Workload([x, c] { mt::Tensor y = x / c; }); }},
    {"(16,4,32,1,16) * (16,4,1,32,16)", [] { auto a = rnd({16, 4, 32, 1, 16}), b = rnd({16, 4, 1, 32, 16}); return Workload([a, b] { mt::Tensor y = a * b; }); }},
    {"x + pos (12,64,128)+(64,128)", [] { auto x = rnd({12, 64, 128}), p = rnd({64, 128}); return Workload([x, p] { mt::Tensor y = x + p; }); }},
    {"x.sum()", [] { auto x = rnd({1 << 20}); return Workload([x] { mt::Tensor y = x.sum(); }); }},
    {"x.mean()", [] { auto x = rnd({1 << 20}); return Workload([x] { mt::Tensor y = x.mean(); }); }},
    {"x.sum(0) (1024,1024)", [] { auto x = rnd({1024, 1024}); return Workload([x] { mt::Tensor y = x.sum(0); }); }},
    {"x.sum(1) (1024,1024)", [] { auto x = rnd({1024, 1024}); return Workload([x] { mt::Tensor y = x.sum(1); }); }},
    {"x.mean(-1, keepdim) (8192,128)", [] { auto x = rnd({8192, 128}); return Workload([x] { mt::Tensor y = x.mean(-1, true); }); }},
    // Strided inputs (views): a transposed copy and elementwise ops that read through strides.
    {"x.t().contiguous() (1024,1024)", [] { auto x = rnd({1024, 1024}); return Workload([x] { mt::Tensor y = x.t().contiguous(); }); }},
    {"x.t() + y (1024,1024)", [] { auto x = rnd({1024, 1024}), y = rnd({1024, 1024}); return Workload([x, y] { mt::Tensor z = x.t() + y; }); }},
    {"x[:, ::2] * 2.0f (1024,2048)", [] { auto x = rnd({1024, 2048}); return Workload([x] { mt::Tensor y = x.slice(1, 0, 2048, 2) * 2.0f; }); }},
    {"fwd+bwd (x * 2.0f).sum()", [] { auto x = leaf(rnd({1 << 20})); return Workload([x] { none({x}); (x * 2.0f).sum().backward(); }); }},
    {"fwd+bwd (x + y).sum()", [] { auto x = leaf(rnd({1 << 20})), y = leaf(rnd({1 << 20})); return Workload([x, y] { none({x, y}); (x + y).sum().backward(); }); }},
    {"fwd+bwd (x * row).sum()", [] { auto x = leaf(rnd({1024, 1024})), r = leaf(rnd({1, 1024})); return Workload([x, r] { none({x, r}); (x * r).sum().backward(); }); }},
    {"fwd+bwd (x / col).sum()", [] { auto x = leaf(rnd({1024, 1024})), c = leaf(pos({1024, 1})); return Workload([x, c] { none({x, c}); (x / c).sum().backward(); }); }},
    {"fwd+bwd 5-D (a * b).sum()", [] { auto a = leaf(rnd({16, 4, 32, 1, 16})), b = leaf(rnd({16, 4, 1, 32, 16})); return Workload([a, b] { none({a, b}); (a * b).sum().backward(); }); }},
    {"fwd+bwd x.mean(-1).sum() (8192,128)", [] { auto x = leaf(rnd({8192, 128})); return Workload([x] { none({x}); x.mean(-1).sum().backward(); }); }},
    // Version 2 (the GPT's ops) on the GPT step's shapes: B 12, T 64, C 128, H 4. Backward is seeded with a
    // random gradient g (a sum's all-ones seed makes softmax's and layer_norm's input gradients vanish).
    {"layer_norm (768,128) weight", [] { auto x = rnd({768, 128}), w = rnd({128}); return Workload([x, w] { mt::Tensor y = F::layer_norm(x, F::LayerNormFuncOptions({128}).weight(w)); }); }},
    {"fwd+bwd layer_norm (768,128) weight", [] { auto x = leaf(rnd({768, 128})), w = leaf(rnd({128})), g = rnd({768, 128}); return Workload([x, w, g] { none({x, w}); F::layer_norm(x, F::LayerNormFuncOptions({128}).weight(w)).backward(g); }); }},
    {"softmax(-1) (48,64,64)", [] { auto x = rnd({48, 64, 64}); return Workload([x] { mt::Tensor y = mt::softmax(x, -1); }); }},
    {"fwd+bwd softmax(-1) (48,64,64)", [] { auto x = leaf(rnd({48, 64, 64})), g = rnd({48, 64, 64}); return Workload([x, g] { none({x}); mt::softmax(x, -1).backward(g); }); }},
    {"gelu exact (768,512)", [] { auto x = rnd({768, 512}); return Workload([x] { mt::Tensor y = F::gelu(x); }); }},
    {"fwd+bwd gelu exact (768,512)", [] { auto x = leaf(rnd({768, 512})), g = rnd({768, 512}); return Workload([x, g] { none({x}); F::gelu(x).backward(g); }); }},
    {"sdpa causal (12,4,64,32)", [] { auto q = rnd({12, 4, 64, 32}), k = rnd({12, 4, 64, 32}), v = rnd({12, 4, 64, 32}); return Workload([q, k, v] { mt::Tensor y = F::scaled_dot_product_attention(q, k, v, {}, 0.0, true); }); }},
    {"fwd+bwd sdpa causal (12,4,64,32)", [] { auto q = leaf(rnd({12, 4, 64, 32})), k = leaf(rnd({12, 4, 64, 32})), v = leaf(rnd({12, 4, 64, 32})), g = rnd({12, 4, 64, 32}); return Workload([q, k, v, g] { none({q, k, v}); F::scaled_dot_product_attention(q, k, v, {}, 0.0, true).backward(g); }); }},
    {"bmm (48,64,32)x(48,32,64)", [] { auto a = rnd({48, 64, 32}), b = rnd({48, 32, 64}); return Workload([a, b] { mt::Tensor y = mt::matmul(a, b); }); }},
    {"fwd+bwd bmm (48,64,32)x(48,32,64)", [] { auto a = leaf(rnd({48, 64, 32})), b = leaf(rnd({48, 32, 64})), g = rnd({48, 64, 64}); return Workload([a, b, g] { none({a, b}); mt::matmul(a, b).backward(g); }); }},
    {"bmm bcast (12,4,64,32)x(4,32,64)", [] { auto a = rnd({12, 4, 64, 32}), b = rnd({4, 32, 64}); return Workload([a, b] { mt::Tensor y = mt::matmul(a, b); }); }},
    {"fwd+bwd bmm bcast (12,4,64,32)x(4,32,64)", [] { auto a = leaf(rnd({12, 4, 64, 32})), b = leaf(rnd({4, 32, 64})), g = rnd({12, 4, 64, 64}); return Workload([a, b, g] { none({a, b}); mt::matmul(a, b).backward(g); }); }},
    {"cross_entropy (768,65)", [] { auto x = rnd({768, 65}); auto t = targets(768, 65); return Workload([x, t] { mt::Tensor y = F::cross_entropy(x, t); }); }},
    {"fwd+bwd cross_entropy (768,65)", [] { auto x = leaf(rnd({768, 65})); auto t = targets(768, 65); return Workload([x, t] { none({x}); F::cross_entropy(x, t).backward(); }); }},
};

}  // namespace

Workload mt_op(const std::string& name) {
  for (const OpRow& r : kOpRows)
    if (name == r.name) return r.make();
  return Workload();
}

void ops_section(int threads, bool targets) {
  (void)targets;  // every op row has its target, at every thread count
  header("ops, " + threads_label(threads), "1M floats unless said; medians of 21 alternated blocks of 10 calls");
  const char* only = std::getenv("BENCH_ROWS");  // a substring of the rows to run, for a quick look
  for (const OpRow& r : kOpRows) {
    if (only && !std::strstr(r.name, only)) continue;
    Workload mine = r.make();
#ifdef MICROTORCH_BENCH_LIBTORCH
    Figure f = pair_figure(r.name, median_pair(here(mine), libtorch(std::string("op:") + r.name), 3, 21, 10), "libtorch", us);
    f.cmp = "<=", f.target = 1.0;
    row(f);
#else
    row(figure(r.name, us(median_seconds(mine, 3, 21, 10))));
#endif
  }
}

}  // namespace bench
