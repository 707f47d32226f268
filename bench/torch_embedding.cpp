// The libtorch side of the embedding rows: the same workloads through torch's C++ frontend, as a PyTorch
// user would write them (module holders, torch::optim::SGD, whose 1.13 zero_grad() zeroes the gradient).
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "bench.h"

namespace bench {
namespace F = torch::nn::functional;

void torch_set_threads(int n) { at::set_num_threads(n); }

static torch::Tensor ids_tensor(const std::vector<int64_t>& v, std::vector<int64_t> shape) {
  return torch::tensor(v, torch::kInt64).view(shape);
}

Workload torch_gather() {
  auto emb = std::make_shared<torch::nn::Embedding>(torch::nn::EmbeddingOptions(V, C));
  auto ids = ids_tensor(inputs().ids, {B, T});
  return [emb, ids] {
    torch::NoGradGuard no_grad;
    torch::Tensor out = (*emb)->forward(ids);  // (B, T, C), freed at once as microtorch's is
  };
}

Workload torch_embedding_step(bool sparse) {
  auto emb = std::make_shared<torch::nn::Embedding>(torch::nn::EmbeddingOptions(V, C).sparse(sparse));
  auto opt = std::make_shared<torch::optim::SGD>((*emb)->parameters(), torch::optim::SGDOptions(0.1));
  auto ids = ids_tensor(inputs().ids, {B, T});
  auto gout = torch::tensor(inputs().grad_out).view({B, T, C});
  return [emb, opt, ids, gout] {
    opt->zero_grad();
    torch::Tensor out = (*emb)->forward(ids);
    out.backward(gout);
    opt->step();
  };
}

Workload torch_mlp_step() {
  struct Model {
    torch::nn::Embedding emb{torch::nn::EmbeddingOptions(kChars, kEmbDim)};
    torch::nn::Linear l1{torch::nn::LinearOptions(kContext * kEmbDim, kHidden)};
    torch::nn::Linear l2{torch::nn::LinearOptions(kHidden, kChars)};
  };
  auto m = std::make_shared<Model>();
  std::vector<torch::Tensor> params;
  for (auto* mod : std::initializer_list<torch::nn::Module*>{m->emb.get(), m->l1.get(), m->l2.get()})
    for (auto& p : mod->parameters()) params.push_back(p);
  auto opt = std::make_shared<torch::optim::SGD>(params, torch::optim::SGDOptions(0.1));
  auto x = ids_tensor(inputs().mlp_x, {kBatch, kContext});
  auto y = ids_tensor(inputs().mlp_y, {kBatch});
  return [m, opt, x, y] {
    torch::Tensor h = torch::tanh(m->l1->forward(m->emb->forward(x).view({kBatch, kContext * kEmbDim})));
    torch::Tensor loss = F::cross_entropy(m->l2->forward(h), y);
    opt->zero_grad();
    loss.backward();
    opt->step();
  };
}

Workload torch_bigram_step() {
  auto emb = std::make_shared<torch::nn::Embedding>(torch::nn::EmbeddingOptions(kChars, kChars));
  auto opt = std::make_shared<torch::optim::SGD>((*emb)->parameters(), torch::optim::SGDOptions(0.1));
  auto x = ids_tensor(inputs().bigram_x, {kBatch});
  auto y = ids_tensor(inputs().bigram_y, {kBatch});
  return [emb, opt, x, y] {
    torch::Tensor loss = F::cross_entropy((*emb)->forward(x), y);
    opt->zero_grad();
    loss.backward();
    opt->step();
  };
}

Workload torch_tied_gemm() {
  auto x = torch::randn({kRows, C});
  auto w = torch::randn({V, C});
  return [x, w] {
    torch::NoGradGuard no_grad;
    torch::Tensor logits = F::linear(x, w);  // (kRows, V)
  };
}

}  // namespace bench
