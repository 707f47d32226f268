// The libtorch side of bench_ops.cpp: the same rows, by the same names, through torch's C++ API.
#include <torch/torch.h>

#include <map>

#include "bench.h"
#include "torch_attention.h"

namespace bench {

namespace {
torch::Tensor rnd(std::vector<int64_t> s) { return torch::randn(s); }
torch::Tensor pos(std::vector<int64_t> s) { return torch::rand(s) + 0.5f; }
torch::Tensor leaf(torch::Tensor t) { return t.requires_grad_(true); }
torch::Tensor targets(int64_t n, int64_t classes) { return torch::tensor(class_ids(n, classes)); }
void none(std::initializer_list<torch::Tensor> ts) {
  for (auto t : ts) t.mutable_grad() = torch::Tensor();
}
}  // namespace

Workload torch_op(const std::string& name) {
  static const std::map<std::string, std::function<Workload()>> rows = {
      {"x * 2.0f", [] { auto x = rnd({1 << 20}); return Workload([x] { auto y = x * 2.0f; }); }},
      {"x + y", [] { auto x = rnd({1 << 20}), y = rnd({1 << 20}); return Workload([x, y] { auto z = x + y; }); }},
      {"x * row (1024,1024)x(1,1024)", [] { auto x = rnd({1024, 1024}), r = rnd({1, 1024}); return Workload([x, r] { auto y = x * r; }); }},
      {"x / col (1024,1024)/(1024,1)", [] { auto x = rnd({1024, 1024}), c = pos({1024, 1}); return Workload([x, c] { auto y = x / c; }); }},
      {"(16,4,32,1,16) * (16,4,1,32,16)", [] { auto a = rnd({16, 4, 32, 1, 16}), b = rnd({16, 4, 1, 32, 16}); return Workload([a, b] { auto y = a * b; }); }},
      {"x + pos (12,64,128)+(64,128)", [] { auto x = rnd({12, 64, 128}), p = rnd({64, 128}); return Workload([x, p] { auto y = x + p; }); }},
      {"x.sum()", [] { auto x = rnd({1 << 20}); return Workload([x] { auto y = x.sum(); }); }},
      {"x.mean()", [] { auto x = rnd({1 << 20}); return Workload([x] { auto y = x.mean(); }); }},
      {"x.sum(0) (1024,1024)", [] { auto x = rnd({1024, 1024}); return Workload([x] { auto y = x.sum(0); }); }},
      {"x.sum(1) (1024,1024)", [] { auto x = rnd({1024, 1024}); return Workload([x] { auto y = x.sum(1); }); }},
      {"x.mean(-1, keepdim) (8192,128)", [] { auto x = rnd({8192, 128}); return Workload([x] { auto y = x.mean(-1, true); }); }},
      {"x.t().contiguous() (1024,1024)", [] { auto x = rnd({1024, 1024}); return Workload([x] { auto y = x.t().contiguous(); }); }},
      {"x.t() + y (1024,1024)", [] { auto x = rnd({1024, 1024}), y = rnd({1024, 1024}); return Workload([x, y] { auto z = x.t() + y; }); }},
      {"x[:, ::2] * 2.0f (1024,2048)", [] { auto x = rnd({1024, 2048}); return Workload([x] { auto y = x.slice(1, 0, 2048, 2) * 2.0f; }); }},
      {"fwd+bwd (x * 2.0f).sum()", [] { auto x = leaf(rnd({1 << 20})); return Workload([x] { none({x}); (x * 2.0f).sum().backward(); }); }},
      {"fwd+bwd (x + y).sum()", [] { auto x = leaf(rnd({1 << 20})), y = leaf(rnd({1 << 20})); return Workload([x, y] { none({x, y}); (x + y).sum().backward(); }); }},
      {"fwd+bwd (x * row).sum()", [] { auto x = leaf(rnd({1024, 1024})), r = leaf(rnd({1, 1024})); return Workload([x, r] { none({x, r}); (x * r).sum().backward(); }); }},
      {"fwd+bwd (x / col).sum()", [] { auto x = leaf(rnd({1024, 1024})), c = leaf(pos({1024, 1})); return Workload([x, c] { none({x, c}); (x / c).sum().backward(); }); }},
      {"fwd+bwd 5-D (a * b).sum()", [] { auto a = leaf(rnd({16, 4, 32, 1, 16})), b = leaf(rnd({16, 4, 1, 32, 16})); return Workload([a, b] { none({a, b}); (a * b).sum().backward(); }); }},
      {"fwd+bwd x.mean(-1).sum() (8192,128)", [] { auto x = leaf(rnd({8192, 128})); return Workload([x] { none({x}); x.mean(-1).sum().backward(); }); }},
      {"layer_norm (768,128) weight", [] { auto x = rnd({768, 128}), w = rnd({128}); return Workload([x, w] { auto y = torch::layer_norm(x, {128}, w); }); }},
      {"fwd+bwd layer_norm (768,128) weight", [] { auto x = leaf(rnd({768, 128})), w = leaf(rnd({128})), g = rnd({768, 128}); return Workload([x, w, g] { none({x, w}); torch::layer_norm(x, {128}, w).backward(g); }); }},
      {"softmax(-1) (48,64,64)", [] { auto x = rnd({48, 64, 64}); return Workload([x] { auto y = torch::softmax(x, -1); }); }},
      {"fwd+bwd softmax(-1) (48,64,64)", [] { auto x = leaf(rnd({48, 64, 64})), g = rnd({48, 64, 64}); return Workload([x, g] { none({x}); torch::softmax(x, -1).backward(g); }); }},
      {"gelu exact (768,512)", [] { auto x = rnd({768, 512}); return Workload([x] { auto y = torch::gelu(x); }); }},
      {"fwd+bwd gelu exact (768,512)", [] { auto x = leaf(rnd({768, 512})), g = rnd({768, 512}); return Workload([x, g] { none({x}); torch::gelu(x).backward(g); }); }},
      {"sdpa causal (12,4,64,32)", [] { auto q = rnd({12, 4, 64, 32}), k = rnd({12, 4, 64, 32}), v = rnd({12, 4, 64, 32}); return Workload([q, k, v] { auto y = torch_causal_attention(q, k, v); }); }},
      {"fwd+bwd sdpa causal (12,4,64,32)", [] { auto q = leaf(rnd({12, 4, 64, 32})), k = leaf(rnd({12, 4, 64, 32})), v = leaf(rnd({12, 4, 64, 32})), g = rnd({12, 4, 64, 32}); return Workload([q, k, v, g] { none({q, k, v}); torch_causal_attention(q, k, v).backward(g); }); }},
      {"bmm (48,64,32)x(48,32,64)", [] { auto a = rnd({48, 64, 32}), b = rnd({48, 32, 64}); return Workload([a, b] { auto y = torch::matmul(a, b); }); }},
      {"fwd+bwd bmm (48,64,32)x(48,32,64)", [] { auto a = leaf(rnd({48, 64, 32})), b = leaf(rnd({48, 32, 64})), g = rnd({48, 64, 64}); return Workload([a, b, g] { none({a, b}); torch::matmul(a, b).backward(g); }); }},
      {"bmm bcast (12,4,64,32)x(4,32,64)", [] { auto a = rnd({12, 4, 64, 32}), b = rnd({4, 32, 64}); return Workload([a, b] { auto y = torch::matmul(a, b); }); }},
      {"fwd+bwd bmm bcast (12,4,64,32)x(4,32,64)", [] { auto a = leaf(rnd({12, 4, 64, 32})), b = leaf(rnd({4, 32, 64})), g = rnd({12, 4, 64, 64}); return Workload([a, b, g] { none({a, b}); torch::matmul(a, b).backward(g); }); }},
      {"cross_entropy (768,65)", [] { auto x = rnd({768, 65}); auto t = targets(768, 65); return Workload([x, t] { auto y = torch::nn::functional::cross_entropy(x, t); }); }},
      {"fwd+bwd cross_entropy (768,65)", [] { auto x = leaf(rnd({768, 65})); auto t = targets(768, 65); return Workload([x, t] { none({x}); torch::nn::functional::cross_entropy(x, t).backward(); }); }},
  };
  auto it = rows.find(name);
  if (it == rows.end()) throw std::invalid_argument("torch_op: no libtorch row named " + name);
  return it->second();
}

}  // namespace bench
