// A rank that dies mid-step must end the job, not leave the others waiting in a collective: run by
// run_mpi.sh under a timeout (tests/distributed/mpi/CMakeLists.txt). Usage: microtorch_rank_dies kill|throw|none
//   kill   rank 1 is killed (SIGKILL) after its third backward, while rank 0 is in sync_gradients()
//   throw  rank 1 throws an exception that nobody catches, at the same point
//   none   nobody dies: every rank finishes (the control)
#include <microtorch/microtorch.h>

#include <csignal>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace mt = microtorch;
namespace F = mt::nn::functional;

int main(int argc, char** argv) {
  mt::distributed::init(&argc, &argv);
  const std::string mode = argc > 1 ? argv[1] : "none";
  const int rank = mt::distributed::rank();
  mt::manual_seed(1);
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(100, 16));
  mt::nn::Linear head(mt::nn::LinearOptions(16, 100));
  mt::nn::Module model;
  model.register_module("emb", emb);
  model.register_module("head", head);
  mt::distributed::DataParallel ddp(model);
  mt::optim::SGD opt(model.parameters(), mt::optim::SGDOptions(0.1));
  for (int step = 0; step < 6; ++step) {
    const mt::Tensor ids = mt::randint(0, 100, {4, 8});
    opt.zero_grad();
    F::cross_entropy(head(emb(ids)).view({32, 100}), ids.view({32})).backward();
    if (step == 3 && rank == 1) {
      std::fprintf(stderr, "rank 1 dies (%s) in step %d\n", mode.c_str(), step);
      if (mode == "kill") std::raise(SIGKILL);
      if (mode == "throw") throw std::runtime_error("rank 1 fails mid-step");
    }
    ddp.sync_gradients();
    opt.step();
  }
  mt::distributed::barrier();
  std::printf("rank %d finished\n", rank);
  mt::distributed::finalize();
  return 0;
}
