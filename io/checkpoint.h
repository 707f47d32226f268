// Checkpoints in the safetensors format (safetensors.h): named tensors, a module's parameters, and
// SGD's momentum buffers. Saving is atomic (atomic_file.h): a crash mid-save leaves the previous file.
//   mt::save(model, "model.safetensors");      mt::load_into(model, "model.safetensors");
//   mt::save(opt, "opt.safetensors");          mt::load_into(opt, "opt.safetensors");
// Loading trusts nothing in the file; a rejected load throws and changes no parameter or buffer.
#pragma once
#include <string>

#include "../nn/module.h"
#include "../optim/sgd.h"
#include "safetensors.h"

namespace microtorch {

// Writes `tensors` (float32, int64 or int32; names unique) with optional string metadata.
void save(const NamedTensors& tensors, const std::string& path, const Metadata& metadata = {});
// A module's named_parameters(); a tied parameter is stored under each of its names.
void save(const nn::Module& module, const std::string& path);

// Every tensor of a checkpoint, in file order; std::runtime_error naming the file, the tensor and
// the fault for a missing, truncated or corrupted file.
NamedTensors load(const std::string& path);
Metadata load_metadata(const std::string& path);

// Copies a checkpoint into the module's parameters in place (the live handles keep working). The file
// must hold exactly the module's parameter names: a missing or unexpected tensor is std::runtime_error,
// a dtype or shape that does not fit is std::invalid_argument naming both shapes. All or nothing.
void load_into(nn::Module& module, const std::string& path);

// SGD's state as named tensors: "momentum_buffer.<i>" for each params()[i] that has a buffer yet.
NamedTensors optimizer_state(optim::SGD& optimizer);
void save(optim::SGD& optimizer, const std::string& path);
// Restores the momentum buffers (a parameter absent from the file gets none, as before its first
// step). Names, dtypes and shapes are checked against params() before anything is replaced.
void load_into(optim::SGD& optimizer, const std::string& path);

}  // namespace microtorch
