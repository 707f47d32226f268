// save/load/load_into over safetensors.h and atomic_file.h. load_into validates the whole file
// against the target first and copies only then, so a rejected load leaves the target untouched.
#include "checkpoint.h"

#include <stdexcept>

#include "../core/autograd.h"
#include "files/atomic_file.h"
#include "files/read_file.h"
#include "files/untrusted.h"

namespace microtorch {

void save(const NamedTensors& tensors, const std::string& path, const Metadata& metadata) {
  const std::string header = io::encode_safetensors_header(tensors, metadata);  // validates names first
  io::AtomicFile file(path);
  file.write(header.data(), header.size());
  for (const auto& entry : tensors)
    io::write_little_endian(entry.second, [&file](const void* p, size_t n) { file.write(p, n); });
  file.commit();
}

void save(const nn::Module& module, const std::string& path) {
  save(module.state_dict(), path, {{"producer", "microtorch"}, {"content", "module state_dict"}});
}

NamedTensors load(const std::string& path) { return io::decode_safetensors(io::read_file(path), path).tensors; }

Metadata load_metadata(const std::string& path) { return io::decode_safetensors(io::read_file(path), path).metadata; }

nn::IncompatibleKeys load_into(nn::Module& module, const std::string& path, const LoadOptions& options) {
  const NamedTensors file = load(path);
  try {
    return module.load_state_dict(file, options.strict());  // checks everything before writing anything
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("load_into '" + path + "': " + e.what());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("load_into '" + path + "': " + e.what());
  }
}

NamedTensors optimizer_state(const optim::Optimizer& optimizer) { return optimizer.state(); }

void save(const optim::Optimizer& optimizer, const std::string& path) {
  save(optimizer.state(), path,
       {{"producer", "microtorch"}, {"content", optimizer.name() + " state"}, {"lr", std::to_string(optimizer.defaults().get_lr())},
        {"params", std::to_string(optimizer.params().size())}});
}

void load_into(optim::Optimizer& optimizer, const std::string& path) {
  const NamedTensors file = load(path);
  try {
    optimizer.load_state(file);  // checks everything before replacing anything
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("load_into '" + path + "': " + e.what());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("load_into '" + path + "': " + e.what());
  }
}

}  // namespace microtorch
