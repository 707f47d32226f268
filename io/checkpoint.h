// Checkpoints in the safetensors format (safetensors.h): named tensors, a module's state_dict() (parameters and
// buffers), and an optimizer's state (SGD's momentum buffers; Adam's, AdamW's and SparseAdam's step counts and moments). Saving is atomic (atomic_file.h): a crash mid-save leaves the previous file.
//   mt::save(model, "model.safetensors");      mt::load_into(model, "model.safetensors");
//   auto keys = mt::load_into(model, "other.safetensors", mt::LoadOptions().strict(false));
//   mt::save(opt, "opt.safetensors");          mt::load_into(opt, "opt.safetensors");
// Loading trusts nothing in the file; a rejected load throws and changes no parameter or buffer.
#pragma once
#include <string>

#include "../core/arg.h"
#include "../nn/module.h"
#include "../optim/optimizer.h"
#include "safetensors.h"

namespace microtorch {

// Writes `tensors` (float32, int64, int32 or bool; names unique) with optional string metadata.
void save(const NamedTensors& tensors, const std::string& path, const Metadata& metadata = {});
// A module's state_dict(): parameters and persistent buffers, a tied parameter under each of its names.
void save(const nn::Module& module, const std::string& path);

// Every tensor of a checkpoint, in file order; std::runtime_error naming the file, the tensor and
// the fault for a missing, truncated or corrupted file.
NamedTensors load(const std::string& path);
Metadata load_metadata(const std::string& path);

struct LoadOptions {
  /// true: the file must hold exactly the module's state_dict() names (a tied tensor needs only one); false:
  /// tensors the module lacks are skipped and tensors the file lacks are left as they are.
  MICROTORCH_ARG(bool, strict) = true;
};

// Copies a checkpoint into the module's parameters and buffers in place (the live handles keep working), as
// module.load_state_dict(load(path), strict), and returns the missing and unexpected names. Strict, either is
// std::runtime_error naming them; a dtype or shape that does not fit is std::invalid_argument naming both.
// All or nothing.
nn::IncompatibleKeys load_into(nn::Module& module, const std::string& path, const LoadOptions& options = {});

// An optimizer's state as named tensors, "<kind>.<i>" for params()[i] (optimizer.h's state()): SGD's
// "momentum_buffer.<i>"; Adam's, AdamW's and SparseAdam's "step.<i>" (int64 (1)), "exp_avg.<i>",
// "exp_avg_sq.<i>" and, with amsgrad, "max_exp_avg_sq.<i>". Only what exists yet is written.
NamedTensors optimizer_state(const optim::Optimizer& optimizer);
void save(const optim::Optimizer& optimizer, const std::string& path);
// Restores the state (a parameter absent from the file gets none, as before its first step): names,
// dtypes and shapes are checked against params() before anything is replaced; a save/load_into round
// trip continues bit-identically.
void load_into(optim::Optimizer& optimizer, const std::string& path);

}  // namespace microtorch
