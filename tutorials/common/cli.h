// What every lesson's main does around its body: CLI11 set up to show each option's default in --help, a
// parse whose errors (an unknown flag, a bad value) print CLI11's message and exit 2, every exception from
// the lesson caught at the top, printed as "<program>: error: <message>" with exit code 2, and checks of the
// input files and the output folder made before any training starts.
//   int lesson(int argc, char** argv) {
//     CLI::App app{"..."};
//     tutorials::show_defaults(app);
//     ...add options...
//     if (const auto code = tutorials::parse(app, argc, argv)) return *code;
//     tutorials::check_output_dir(out_dir, "--out");
//     ...
//   }
//   int main(int argc, char** argv) { return tutorials::run(lesson, argc, argv); }
#pragma once
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace tutorials {

// --help shows every option's default value (CLI11's capture_default_str for each option added after this).
void show_defaults(CLI::App& app);

// Parses the command line. nullopt: go on. Else the exit code: 0 after --help, 2 after a parse error
// (CLI11's message printed to stderr).
std::optional<int> parse(CLI::App& app, int argc, char** argv);

// body(argc, argv), with any exception printed as "<program>: error: <what>" and exit code 2.
int run(int (*body)(int, char**), int argc, char** argv);

// Throws std::runtime_error naming `flag` and the path unless it names an existing regular file that can be
// read (a missing file, a folder, a FIFO or a device is refused before anything is trained).
void check_input_file(const std::string& path, const std::string& flag);

// Throws std::runtime_error naming `flag` and the path unless it is an existing folder this program can
// write into (checked by creating and removing a file there), so a bad --out is found before training.
void check_output_dir(const std::string& dir, const std::string& flag);

}  // namespace tutorials
