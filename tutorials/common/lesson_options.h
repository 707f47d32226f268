// The command-line options most lessons share (--data, --gpt2, --steps, --seed, --threads, --out, --check):
// one registration with the lesson's own help line for each, and the up-front work they ask for after the
// parse. A lesson registers its own options, then the shared ones (listed after its own in --help):
//   CLI::App app{"Lesson 3: ..."};
//   tutorials::LessonOptions run(app);
//   run.steps = 150;                                   // defaults, set before add so --help shows them
//   app.add_option("--lr", lr, "learning rate");
//   run.add({"names, one per line", "", "training steps", "random seed", "kernel threads", "",
//            "exit 1 unless the loss is finite and falls"});
//   if (const auto code = run.parse(argc, argv)) return *code;
// Below it, the option groups that some lessons share (an embedding table's, a GPT's).
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace tutorials {

struct LessonOptions {
  // Sets app up to show every option's default in --help (show_defaults): made before any option is added.
  explicit LessonOptions(CLI::App& app);
  LessonOptions(const LessonOptions&) = delete;  // app holds pointers to the fields
  LessonOptions& operator=(const LessonOptions&) = delete;

  std::string data;        // --data: the corpus file; "" = the lesson's default under data/
  std::string gpt2;        // --gpt2: folder with encoder.json and vocab.bpe; "" = data/gpt2
  int64_t steps = 0;       // --steps
  uint64_t seed = 1337;    // --seed
  int threads = 1;         // --threads: kernel threads
  std::string out = ".";   // --out: folder for pictures and saved models
  bool check = false;      // --check: exit 1 unless the lesson's claims hold

  // The --help line of each shared option, in the order they are listed; "" leaves that option out.
  struct Help {
    std::string data, gpt2, steps, seed, threads, out, check;
  };

  // Registers the shared options that have a help line (defaults shown as set before this call).
  void add(const Help& help);

  // tutorials::parse, then for the options taken: --out must be a folder this program can write into (checked
  // before any training), the thread count and the seed are set. nullopt: go on; else parse's exit code.
  std::optional<int> parse(int argc, char** argv) const;

 private:
  CLI::App* app_;
  Help taken_;
};

// The embedding lessons' table and its (B, T) batch of ids: --vocab V and --dim C of `table` ("the big
// table"), --batch B and --block T.
void add_table_options(CLI::App& app, const std::string& table, int64_t& V, int64_t& C, int64_t& B, int64_t& T);

// The GPT lessons' model and batch options: --layers L, --heads H, --emb C (a multiple of --heads), --block T
// and --batch B (windows per training step).
void add_gpt_options(CLI::App& app, int64_t& L, int64_t& H, int64_t& C, int64_t& T, int64_t& B);

}  // namespace tutorials
