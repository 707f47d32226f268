// save/load/load_into over safetensors.h and atomic_file.h. load_into validates the whole file
// against the target first and copies only then, so a rejected load leaves the target untouched.
#include "checkpoint.h"

#include <stdexcept>
#include <unordered_map>

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
  save(module.named_parameters(), path, {{"producer", "microtorch"}, {"content", "module parameters"}});
}

NamedTensors load(const std::string& path) { return io::decode_safetensors(io::read_file(path), path).tensors; }

Metadata load_metadata(const std::string& path) { return io::decode_safetensors(io::read_file(path), path).metadata; }

// The checked pairing of each target tensor with its value from the file; throws on the first fault.
static std::vector<Tensor> match_targets(const NamedTensors& targets, const NamedTensors& file, const std::string& path,
                                         const char* what) {
  std::unordered_map<std::string, const Tensor*> by_name;
  for (const auto& [name, t] : file) by_name[name] = &t;
  std::vector<Tensor> values;
  for (const auto& [name, target] : targets) {
    auto it = by_name.find(name);
    if (it == by_name.end())
      throw std::runtime_error("load_into '" + path + "': the checkpoint has no tensor '" + name + "' (the " + what +
                               "'s " + dtype_name(target.dtype()) + " of shape " + shape_str(target.shape()) + ")");
    const Tensor& value = *it->second;
    if (value.dtype() != target.dtype())
      throw std::invalid_argument("load_into '" + path + "': tensor '" + name + "' is " + dtype_name(value.dtype()) +
                                  " in the checkpoint but " + dtype_name(target.dtype()) + " in the " + what);
    if (value.shape() != target.shape())
      throw std::invalid_argument("load_into '" + path + "': tensor '" + name + "' has shape " + shape_str(value.shape()) +
                                  " in the checkpoint but " + shape_str(target.shape()) + " in the " + what);
    values.push_back(value);
  }
  std::unordered_map<std::string, bool> wanted;
  for (const auto& entry : targets) wanted[entry.first] = true;
  for (const auto& entry : file)
    if (!wanted.count(entry.first))
      throw std::runtime_error("load_into '" + path + "': unexpected tensor '" + io::printable(entry.first) +
                               "' (the " + what +
                               " has no such name)");
  return values;
}

void load_into(nn::Module& module, const std::string& path) {
  const NamedTensors params = module.named_parameters();
  const std::vector<Tensor> values = match_targets(params, load(path), path, "module");
  NoGradGuard no_grad;  // parameters are leaves that require grad: copy_ allows that only without grad
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor target = params[i].second;
    target.copy_(values[i]);
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
