// Internal (not installed): GPT2Config to and from Hugging Face's config.json.
#pragma once
#include <string>

#include "../gpt2.h"

namespace microtorch::models::checkpoint {

// The fields a GPT-2 needs; absent ones take Hugging Face's defaults (GPT-2 small). std::runtime_error naming
// the file for unreadable JSON or a field of the wrong type; std::invalid_argument for a model this is not
// (model_type other than "gpt2", an untied head, attention variants GPT2 does not implement).
GPT2Config read_config_json(const std::string& path);
// config.json as Transformers' GPT2LMHeadModel reads it.
std::string config_json(const GPT2Config& config);

}  // namespace microtorch::models::checkpoint
