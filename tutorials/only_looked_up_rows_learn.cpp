// Lesson 2: only the looked-up rows learn.
//
// A lookup copies row ids[b, t] of the table W (V, C) to position (b, t), so the loss depends on a
// row of W only through the positions that looked it up:
//   dLoss/dW[v] = sum over positions (b, t) with ids[b, t] == v of dLoss/dout[b, t]
// A row nobody looked up gets a gradient of exactly zero, and an SGD step (W -= lr * dW) leaves it
// bit-for-bit as it was; a row looked up twice gets the sum of both positions' gradients.
// So the gradient of a (V, C) table is really a short list of (id, row) pairs: with
// EmbeddingOptions(V, C).sparse(true) it is kept that way, (n) indices and (n, C) values, instead of a
// dense (V, C) buffer that is almost all zeros. At GPT-2's V = 50257 that is the difference between
// a few hundred KB and 154 MB per step, and the SGD step is the same, bit for bit.
//
//   only_looked_up_rows_learn            # the lesson; --vocab/--dim/--batch/--block size part 2, --steps part 1
//   only_looked_up_rows_learn --check    # exit 1 if a claim does not hold or the loss did not fall
#include <microtorch/microtorch.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/cli.h"
#include "common/lesson_options.h"
#include "common/progress.h"

namespace mt = microtorch;

namespace {

// loss = mean((x - target)^2): any loss would do; this one pulls each looked-up row towards a target.
mt::Tensor mse(const mt::Tensor& x, const mt::Tensor& target) {
  const mt::Tensor d = x - target;
  return (d * d).mean();
}

bool row_equal(const mt::Tensor& a, const mt::Tensor& b, int64_t row, int64_t C) {
  return std::memcmp(a.data_ptr<float>() + row * C, b.data_ptr<float>() + row * C, static_cast<size_t>(C) * 4) == 0;
}

}  // namespace

static int lesson(int argc, char** argv) {
  CLI::App app{"Lesson 2: only the looked-up rows learn"};
  tutorials::LessonOptions run(app);
  run.steps = 1;
  int64_t V = 50257, C = 768, B = 4, T = 64;
  double lr = 0.5;
  tutorials::add_table_options(app, "the part-2 table", V, C, B, T);
  app.add_option("--lr", lr, "SGD learning rate");
  run.add({"", "", "SGD steps on the part-1 table (unlooked-up rows stay bit-identical through all)",
           "random seed", "", "", "exit 1 if a claim does not hold or the loss did not fall"});
  if (const auto code = run.parse(argc, argv)) return *code;
  if (run.steps < 1) throw std::invalid_argument("--steps " + std::to_string(run.steps) + ": expected at least 1");
  bool ok = true;

  // --- Part 1: one SGD step on a small table ---
  const int64_t v = 8, c = 4;
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(v, c));
  const mt::Tensor before = emb.weight.detach().clone();                       // (8, 4) snapshot
  const mt::Tensor ids = mt::tensor(std::vector<int64_t>{1, 5, 5, 6}, {1, 4});  // id 5 twice
  const mt::Tensor target = mt::randn({1, 4, c});
  mt::optim::SGD opt({emb.weight}, mt::optim::SGDOptions(lr));
  const float first = mse(emb(ids), target).item<float>();
  mt::Tensor grad;  // (8, 4) dense copy of the first step's gradient
  for (int64_t step = 0; step < run.steps; ++step) {
    opt.zero_grad();
    mse(emb(ids), target).backward();
    if (step == 0) grad = emb.weight.grad().clone();
    opt.step();
  }
  const float last = mse(emb(ids), target).item<float>();

  std::printf("1. A (%lld, %lld) table, ids [[1, 5, 5, 6]], loss = mean((emb(ids) - target)^2), %lld SGD step%s "
              "(lr %g).\n", static_cast<long long>(v), static_cast<long long>(c), static_cast<long long>(run.steps),
              run.steps == 1 ? "" : "s", lr);
  std::printf("  row  looked up  |grad row|_1  after the step\n");
  for (int64_t r = 0; r < v; ++r) {
    const bool looked_up = r == 1 || r == 5 || r == 6;
    double g1 = 0.0;
    for (int64_t j = 0; j < c; ++j) g1 += std::fabs(double(grad.data_ptr<float>()[r * c + j]));
    const bool same = row_equal(before, emb.weight, r, c);
    std::printf("  %3lld  %-9s  %12.6f  %s\n", static_cast<long long>(r), looked_up ? (r == 5 ? "twice" : "once") : "-",
                g1, same ? "bit-identical" : "changed");
    ok = ok && (looked_up ? !same : same && g1 == 0.0);
  }
  std::printf("  rows 1, 5, 6 changed; every other row is bit-identical: %s\n", ok ? "yes" : "NO");

  // --- Part 2: the same gradient kept as rows (sparse) against a dense (V, C) buffer ---
  std::printf("\n2. A (%lld, %lld) table looked up at B = %lld, T = %lld; one dense and one sparse(true) copy.\n",
              static_cast<long long>(V), static_cast<long long>(C), static_cast<long long>(B), static_cast<long long>(T));
  mt::nn::Embedding dense(mt::nn::EmbeddingOptions(V, C));
  mt::nn::Embedding sparse(mt::nn::EmbeddingOptions(V, C).sparse(true)._weight(dense.weight.detach().clone()));
  const mt::Tensor big_ids = mt::randint(0, V, {B, T});
  const mt::Tensor probe = mt::randn({B, T, C});  // loss = sum(out * probe): dLoss/dout = probe
  mt::optim::SGD opt_dense({dense.weight}, mt::optim::SGDOptions(lr));
  mt::optim::SGD opt_sparse({sparse.weight}, mt::optim::SGDOptions(lr));
  (dense(big_ids) * probe).sum().backward();
  (sparse(big_ids) * probe).sum().backward();

  const mt::SparseGrad rows = mt::sparse_grad(sparse.weight);  // indices (n), values (n, C)
  const int64_t n = rows.indices.numel();
  const double sparse_bytes = 8.0 * n + 4.0 * rows.values.numel();
  const double dense_bytes = 4.0 * V * C;
  std::printf("  sparse gradient: indices %s int64 + values %s float32 = %.1f KB\n",
              mt::shape_str(rows.indices.shape()).c_str(), mt::shape_str(rows.values.shape()).c_str(),
              sparse_bytes / 1e3);
  std::printf("  dense gradient:  (%lld, %lld) float32 = %.1f MB   (%.0fx more, %.2f%% of it nonzero rows)\n",
              static_cast<long long>(V), static_cast<long long>(C), dense_bytes / 1e6, dense_bytes / sparse_bytes,
              100.0 * n / V);
  opt_dense.step();
  opt_sparse.step();
  const bool same_tables = std::memcmp(dense.weight.data_ptr<float>(), sparse.weight.data_ptr<float>(),
                                       static_cast<size_t>(dense_bytes)) == 0;
  std::printf("  after one SGD step the dense and sparse tables are bit-identical: %s\n", same_tables ? "yes" : "NO");
  ok = ok && same_tables && n == B * T;

  std::printf("\nall claims hold: %s\n", ok ? "yes" : "NO");
  const int status = tutorials::check_loss_fell(first, last, run.check);
  return run.check && !ok ? 1 : status;
}

int main(int argc, char** argv) { return tutorials::run(lesson, argc, argv); }
