// distributed/ in a process that never called distributed::init: every call says so (std::runtime_error)
// instead of guessing a world. The collectives themselves are tested under mpirun (tests/distributed/mpi/).
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <string>

namespace mt = microtorch;
namespace dist = mt::distributed;

TEST_CASE("distributed before init: a clear runtime_error from every call", "[distributed]") {
  REQUIRE_FALSE(dist::is_initialized());
  mt::Tensor t = mt::ones({2});
  CHECK_THROWS_AS(dist::rank(), std::runtime_error);
  CHECK_THROWS_AS(dist::world_size(), std::runtime_error);
  CHECK_THROWS_AS(dist::barrier(), std::runtime_error);
  CHECK_THROWS_AS(dist::all_reduce(t), std::runtime_error);
  CHECK_THROWS_AS(dist::broadcast(t, 0), std::runtime_error);
  CHECK_THROWS_AS(dist::all_gather(t), std::runtime_error);
  mt::nn::Linear lin(mt::nn::LinearOptions(2, 2));
  try {
    dist::DataParallel ddp(lin);
    FAIL("DataParallel before init");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("distributed::init(&argc, &argv) first") != std::string::npos);
  }
  CHECK(t.to_vector<float>() == std::vector<float>{1.0f, 1.0f});
}
