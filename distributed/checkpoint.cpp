// Checkpoints on several ranks (checkpoint.h): mt::save on rank 0 and mt::load_into on every rank
// (io/checkpoint.h), with every rank's outcome gathered so that all ranks agree on success or failure.
#include "checkpoint.h"

#include <cstdint>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "../core/autograd.h"
#include "../io/checkpoint.h"
#include "distributed.h"
#include "mpi/comm.h"

namespace microtorch::distributed {

namespace {

void require_init(const char* what) {
  if (!is_initialized())
    throw std::runtime_error(std::string("distributed::") + what + ": call distributed::init(&argc, &argv) first");
}

// FNV-1a over the tensors' bytes: do the ranks hold the same values?
uint64_t checksum(const std::vector<Tensor>& tensors) {
  uint64_t h = 1469598103934665603ull;
  auto add = [&h](const void* data, size_t bytes) {
    const auto* b = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < bytes; ++i) h = (h ^ b[i]) * 1099511628211ull;
  };
  for (const Tensor& t : tensors) {
    const size_t bytes = static_cast<size_t>(t.numel()) * element_size(t.dtype());
    switch (t.dtype()) {
      case kFloat32: add(t.data_ptr<float>(), bytes); break;
      case kInt64: add(t.data_ptr<int64_t>(), bytes); break;
      case kInt32: add(t.data_ptr<int32_t>(), bytes); break;
      case kBool: add(t.data_ptr<bool>(), bytes); break;
      default: break;
    }
  }
  return h;
}

// Runs `write` on rank 0; every rank returns once it is done, or throws if it failed.
void save_on_rank0(const std::string& path, const std::function<void()>& write) {
  require_init("save");
  std::exception_ptr error;
  std::string message;
  if (rank() == 0) {
    try {
      write();
    } catch (const std::exception& e) {
      error = std::current_exception();
      message = e.what();
      if (message.empty()) message = "failed";
    }
  }
  const std::string outcome = comm::all_gather_strings(message)[0];  // also waits for rank 0
  if (error) std::rethrow_exception(error);
  if (!outcome.empty())
    throw std::runtime_error("distributed::save: rank 0 could not write " + path + ": " + outcome);
}

// Runs `load` on every rank, then compares outcomes and the loaded values' checksums; on any failure every
// rank that loaded calls `restore` before throwing.
void load_everywhere(const std::string& path, const std::function<void()>& load, const std::function<void()>& restore,
                     const std::function<uint64_t()>& values) {
  require_init("load_into");
  std::exception_ptr error;
  std::string mine;
  try {
    load();
    mine = "ok " + std::to_string(values());
  } catch (const std::exception& e) {
    error = std::current_exception();
    mine = std::string("error ") + e.what();
  }
  const std::vector<std::string> all = comm::all_gather_strings(mine);
  for (size_t r = 0; r < all.size(); ++r) {
    if (all[r].rfind("error ", 0) == 0) {
      if (error) std::rethrow_exception(error);  // this rank changed nothing
      restore();
      throw std::runtime_error("distributed::load_into: rank " + std::to_string(r) + " could not read " + path + ": " +
                               all[r].substr(6));
    }
  }
  for (size_t r = 1; r < all.size(); ++r) {
    if (all[r] != all[0]) {
      restore();
      throw std::runtime_error("distributed::load_into: rank " + std::to_string(r) + " read other values from " + path +
                               " than rank 0 (a different file at that path?); every rank keeps what it held");
    }
  }
}

}  // namespace

void save(const nn::Module& module, const std::string& path) {
  save_on_rank0(path, [&] { microtorch::save(module, path); });
}

void save(const optim::Optimizer& optimizer, const std::string& path) {
  save_on_rank0(path, [&] { microtorch::save(optimizer, path); });
}

void load_into(nn::Module& module, const std::string& path) {
  std::vector<Tensor> params = module.parameters();
  std::vector<Tensor> before;
  for (const Tensor& p : params) before.push_back(p.detach().clone());
  load_everywhere(
      path, [&] { microtorch::load_into(module, path); },
      [&] {
        NoGradGuard no_grad;
        for (size_t i = 0; i < params.size(); ++i) params[i].copy_(before[i]);
      },
      [&] { return checksum(params); });
}

void load_into(optim::Optimizer& optimizer, const std::string& path) {
  const optim::OptimizerState before = optimizer.state();
  load_everywhere(
      path, [&] { microtorch::load_into(optimizer, path); }, [&] { optimizer.load_state(before); },
      [&] {
        std::vector<Tensor> state;
        for (const auto& [name, t] : optimizer.state()) state.push_back(t);
        return checksum(state);
      });
}

}  // namespace microtorch::distributed
