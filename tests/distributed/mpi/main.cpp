// The distributed tests' main: MPI started before Catch2 runs, ended after; every rank exits with the worst
// outcome, so mpirun reports a failure on any rank. Run alone, it is one rank of one.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

namespace mt = microtorch;

int main(int argc, char** argv) {
  mt::distributed::init(&argc, &argv);
  const int failed = Catch::Session().run(argc, argv);
  mt::Tensor worst = mt::tensor(std::vector<int64_t>{failed}, {1});
  mt::distributed::all_reduce(worst, mt::distributed::ReduceOp::Max);
  mt::distributed::finalize();
  return worst.item<int64_t>() == 0 ? 0 : 1;
}
