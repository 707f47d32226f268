// save/load/load_into over safetensors.h and atomic_file.h. load_into validates the whole file
// against the target first and copies only then, so a rejected load leaves the target untouched.
#include "checkpoint.h"

#include <stdexcept>
#include <unordered_map>

#include "../core/autograd.h"
#include "atomic_file.h"
#include "untrusted.h"

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

static std::string buffer_name(size_t i) { return "momentum_buffer." + std::to_string(i); }

NamedTensors optimizer_state(optim::SGD& optimizer) {
  NamedTensors out;
  const auto& buffers = optimizer.momentum_buffers();
  for (size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i].defined()) out.emplace_back(buffer_name(i), buffers[i]);
  return out;
}

void save(optim::SGD& optimizer, const std::string& path) {
  const optim::SGDOptions& o = optimizer.options();
  save(optimizer_state(optimizer), path,
       {{"producer", "microtorch"}, {"content", "SGD state"}, {"lr", std::to_string(o.lr())},
        {"momentum", std::to_string(o.momentum())}, {"params", std::to_string(optimizer.params().size())}});
}

void load_into(optim::SGD& optimizer, const std::string& path) {
  const NamedTensors file = load(path);
  const std::vector<Tensor>& params = optimizer.params();
  // The file names which buffers exist; each must belong to a parameter and have its shape.
  std::unordered_map<std::string, size_t> index_of;
  for (size_t i = 0; i < params.size(); ++i) index_of[buffer_name(i)] = i;
  NamedTensors targets;
  std::vector<size_t> slots;
  for (const auto& entry : file) {
    auto it = index_of.find(entry.first);
    if (it == index_of.end())
      throw std::runtime_error("load_into '" + path + "': unexpected tensor '" + io::printable(entry.first) +
                               "' (expected momentum_buffer.<i> for i < " + std::to_string(params.size()) + ")");
    targets.emplace_back(entry.first, params[it->second]);
    slots.push_back(it->second);
  }
  const std::vector<Tensor> values = match_targets(targets, file, path, "optimizer's parameter");
  std::vector<Tensor> buffers(params.size());
  for (size_t k = 0; k < slots.size(); ++k) buffers[slots[k]] = values[k];
  optimizer.momentum_buffers() = std::move(buffers);
}

}  // namespace microtorch
