// The lessons' command line, top-level error handling and up-front checks (cli.h).
#include "cli.h"

#include <unistd.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace tutorials {

void show_defaults(CLI::App& app) { app.option_defaults()->always_capture_default(); }

std::optional<int> parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);  // prints the help, exit 0
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints CLI11's message ("The following argument was not expected: --stpes") to stderr
    return 2;
  }
  return std::nullopt;
}

int run(int (*body)(int, char**), int argc, char** argv) {
  const std::string program = argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "lesson";
  try {
    return body(argc, argv);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s: error: %s\n", program.c_str(), e.what());
    return 2;
  }
}

// "<flag> '<path>': ", the start of every message about a path given on the command line.
static std::string about(const std::string& flag, const std::string& path) { return flag + " '" + path + "': "; }

// The status of what path names; std::runtime_error "<flag> '<path>': <missing>" when nothing is there.
static std::filesystem::file_status existing(const std::string& path, const std::string& flag, const char* missing) {
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) throw std::runtime_error(about(flag, path) + missing);
  return st;
}

void check_input_file(const std::string& path, const std::string& flag) {
  namespace fs = std::filesystem;
  const fs::file_status st = existing(path, flag, "no such file");
  const std::string what = about(flag, path);
  if (fs::is_directory(st)) throw std::runtime_error(what + "is a folder, expected a file");
  if (!fs::is_regular_file(st)) throw std::runtime_error(what + "is not a regular file (a FIFO, device or socket)");
  if (::access(path.c_str(), R_OK) != 0) throw std::runtime_error(what + "cannot be read (permissions)");
}

void check_output_dir(const std::string& dir, const std::string& flag) {
  namespace fs = std::filesystem;
  const fs::file_status st = existing(dir, flag, "no such folder (create it first)");
  const std::string what = about(flag, dir);
  if (!fs::is_directory(st)) throw std::runtime_error(what + "is not a folder");
  const fs::path probe = fs::path(dir) / (".write_test_" + std::to_string(::getpid()));
  {
    std::ofstream out(probe);
    if (!out) throw std::runtime_error(what + "cannot write into this folder");
  }
  std::error_code ec;
  fs::remove(probe, ec);
}

}  // namespace tutorials
