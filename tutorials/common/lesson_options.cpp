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

void add_table_options(CLI::App& app, const std::string& table, int64_t& V, int64_t& C, int64_t& B, int64_t& T) {
  app.add_option("--vocab", V, "rows of " + table + " (GPT-2: 50257)");
  app.add_option("--dim", C, "width of " + table + " (GPT-2 small: 768)");
  app.add_option("--batch", B, "B of the ids looked up in " + table);
  app.add_option("--block", T, "T of the ids looked up in " + table + " (GPT-2: 1024)");
}

void add_gpt_options(CLI::App& app, int64_t& L, int64_t& H, int64_t& C, int64_t& T, int64_t& B) {
  app.add_option("--layers", L, "transformer blocks");
  app.add_option("--heads", H, "attention heads");
  app.add_option("--emb", C, "embedding width C (a multiple of --heads)");
  app.add_option("--block", T, "context length T");
  app.add_option("--batch", B, "windows per training step");
}

}  // namespace tutorials
