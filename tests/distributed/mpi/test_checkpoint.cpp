// Checkpoints on several ranks (distributed/checkpoint.h): rank 0 alone writes, every rank reads, and a
// failure anywhere throws everywhere with every rank's parameters as they were.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include "same_values.h"

#include <unistd.h>

#include <filesystem>
#include <string>

namespace mt = microtorch;
namespace dist = mt::distributed;
namespace fs = std::filesystem;

namespace {

// A folder every rank names alike (rank 0's pid), removed at the end.
struct SharedDir {
  fs::path path;
  SharedDir() {
    mt::Tensor pid = mt::tensor(std::vector<int64_t>{static_cast<int64_t>(::getpid())}, {1});
    dist::broadcast(pid, 0);
    path = fs::temp_directory_path() / ("microtorch_ddp_" + std::to_string(pid.item<int64_t>()));
    if (dist::rank() == 0) fs::create_directories(path);
    dist::barrier();
  }
  ~SharedDir() {
    dist::barrier();
    if (dist::rank() == 0) fs::remove_all(path);
  }
};

mt::nn::Linear rank_model() {  // rank r's weights differ from every other rank's
  mt::manual_seed(200 + dist::rank());
  return mt::nn::Linear(mt::nn::LinearOptions(4, 3));
}

}  // namespace

TEST_CASE("distributed checkpoints: rank 0 writes its values, every rank loads them", "[distributed][checkpoint]") {
  SharedDir dir;
  const std::string path = (dir.path / "model.safetensors").string();
  mt::nn::Linear model = rank_model();
  mt::manual_seed(200);
  const mt::nn::Linear rank0(mt::nn::LinearOptions(4, 3));
  dist::save(model, path);  // the file is complete on return, on every rank
  CHECK(fs::exists(path));
  CHECK(same_values(mt::load(path)[0].second, rank0.weight));  // rank 0's, not another rank's
  const mt::Tensor handle = model.weight;
  dist::load_into(model, path);
  CHECK(same_values(handle, rank0.weight));
  CHECK(same_values(model.bias, rank0.bias));

  // The optimizer's state travels the same way.
  mt::optim::SGD opt(model.parameters(), mt::optim::SGDOptions(0.1).momentum(0.9));
  model(mt::ones({2, 4})).sum().backward();
  opt.step();
  const std::string opt_path = (dir.path / "opt.safetensors").string();
  dist::save(opt, opt_path);
  dist::load_into(opt, opt_path);
  CHECK(opt.state().size() == 2);
}

TEST_CASE("distributed checkpoints: a failed save or load throws on every rank, nothing changed", "[distributed][checkpoint]") {
  SharedDir dir;
  const int rank = dist::rank(), world = dist::world_size();
  mt::nn::Linear model = rank_model();
  const mt::Tensor before = model.weight.clone();
  // Rank 0 cannot write into a folder that does not exist: its own error there, runtime_error elsewhere.
  CHECK_THROWS(dist::save(model, (dir.path / "missing" / "m.safetensors").string()));

  const std::string good = (dir.path / "good.safetensors").string();
  dist::save(model, good);
  const mt::Tensor saved = mt::load(good)[0].second;
  mt::nn::Linear other = rank_model();
  const std::string path = rank == world - 1 ? (dir.path / "absent.safetensors").string() : good;
  CHECK_THROWS(dist::load_into(other, path));  // the last rank's file is missing
  CHECK(same_values(other.weight, before));       // every rank keeps what it held

  // Ranks reading different files (each its own copy, with its own values): every rank refuses.
  const std::string own = (dir.path / ("own" + std::to_string(rank) + ".safetensors")).string();
  mt::save(model, own);
  dist::barrier();
  mt::nn::Linear third = rank_model();
  if (world > 1) {
    try {
      dist::load_into(third, own);
      FAIL("no error for ranks reading different values");
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()).find("read other values") != std::string::npos);
    }
    CHECK(same_values(third.weight, before));
  }
  CHECK(same_values(saved, before) == (rank == 0));  // the saved file holds rank 0's weights only
}
