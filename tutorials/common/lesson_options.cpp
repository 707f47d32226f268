// The lessons' shared options and the checks they ask for (lesson_options.h).
#include "lesson_options.h"

#include <microtorch/microtorch.h>

#include "cli.h"

namespace tutorials {

LessonOptions::LessonOptions(CLI::App& app) : app_(&app) { show_defaults(app); }

void LessonOptions::add(const Help& help) {
  CLI::App& app = *app_;
  taken_ = help;
  if (!help.data.empty()) app.add_option("--data", data, help.data);
  if (!help.gpt2.empty()) app.add_option("--gpt2", gpt2, help.gpt2);
  if (!help.steps.empty()) app.add_option("--steps", steps, help.steps);
  if (!help.seed.empty()) app.add_option("--seed", seed, help.seed);
  if (!help.threads.empty()) app.add_option("--threads", threads, help.threads);
  if (!help.out.empty()) app.add_option("--out", out, help.out);
  if (!help.check.empty()) app.add_flag("--check", check, help.check);
}

std::optional<int> LessonOptions::parse(int argc, char** argv) const {
  if (const auto code = tutorials::parse(*app_, argc, argv)) return code;
  if (!taken_.out.empty()) check_output_dir(out, "--out");
  if (!taken_.threads.empty()) microtorch::set_num_threads(threads);
  if (!taken_.seed.empty()) microtorch::manual_seed(seed);
  return std::nullopt;
}

}  // namespace tutorials
