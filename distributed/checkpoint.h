// Checkpoints when training on several ranks: one file, written by rank 0 alone (after DataParallel every
// rank holds the same values), read by every rank. Each call is collective (every rank makes it).
//   mt::distributed::save(model, "model.safetensors");        // returns on every rank once the file is whole
//   mt::distributed::load_into(model, "model.safetensors");   // every rank reads the same file
// A failure on any rank throws on every rank (the failing rank its own error, the others std::runtime_error
// naming that rank and its message), so no rank waits for a file that never comes. A load is all or nothing
// across the ranks: if any rank fails, or the ranks read different values (a stale copy on a machine
// without a shared disk), every rank puts back what it held and throws.
#pragma once
#include <string>

#include "../nn/module.h"
#include "../optim/optimizer.h"

namespace microtorch::distributed {

void save(const nn::Module& module, const std::string& path);
void save(const optim::Optimizer& optimizer, const std::string& path);
void load_into(nn::Module& module, const std::string& path);
void load_into(optim::Optimizer& optimizer, const std::string& path);

}  // namespace microtorch::distributed
