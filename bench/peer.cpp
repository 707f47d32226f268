// libtorch's side of the comparisons, in a process of its own. Both libraries keep worker threads that poll
// for a while after each parallel op (libtorch's OpenMP team, microtorch's pool); in one process with two
// cores, the idle team of one would sit beside the other's timed calls and take the second core. So this
// program starts itself again as `microtorch_bench --peer THREADS`, which builds libtorch's workloads and
// times blocks of them on request: the blocks still alternate (ours in this process, theirs in the peer),
// and the process whose block is not running waits in a blocking read, its threads asleep once their
// polling ends (the settle pause before every block). Both libraries' threads are pinned (main.cpp).
// Protocol, one line each way: "once N NAME" (N calls) -> "0"; "block N NAME" -> seconds per call;
// "faults W R NAME" -> page faults per call; a failure -> "error MESSAGE".
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

#include <microtorch/microtorch.h>

#include "bench.h"

extern char** environ;

namespace bench {

namespace {

// The running peer: its pid, the pipe ends and the thread count it was started with.
struct Peer {
  pid_t pid = -1;
  FILE* to = nullptr;
  FILE* from = nullptr;
  int threads = 0;

  void stop() {
    if (pid < 0) return;
    std::fclose(to);  // the peer's read ends: it exits
    std::fclose(from);
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
  }
  void start(int n) {
    int down[2], up[2];  // down: we write, the peer reads (its stdin); up: the reverse (its stdout)
    if (pipe(down) != 0 || pipe(up) != 0) throw std::runtime_error("bench peer: pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, down[0], 0);
    posix_spawn_file_actions_adddup2(&actions, up[1], 1);
    for (int fd : {down[0], down[1], up[0], up[1]}) posix_spawn_file_actions_addclose(&actions, fd);
    const std::string threads_arg = std::to_string(n);
    char* argv[] = {const_cast<char*>("microtorch_bench"), const_cast<char*>("--peer"),
                    const_cast<char*>(threads_arg.c_str()), nullptr};
    // The peer inherits this thread's CPU mask, which microtorch's pool pinned to one CPU (OMP_PROC_BIND);
    // libgomp reads it when the peer loads, so it is widened to every online CPU around the spawn.
    cpu_set_t mine, all;
    sched_getaffinity(0, sizeof mine, &mine);
    CPU_ZERO(&all);
    for (long c = 0; c < sysconf(_SC_NPROCESSORS_ONLN) && c < CPU_SETSIZE; ++c) CPU_SET(static_cast<int>(c), &all);
    sched_setaffinity(0, sizeof all, &all);
    const int err = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv, environ);
    sched_setaffinity(0, sizeof mine, &mine);
    posix_spawn_file_actions_destroy(&actions);
    close(down[0]);
    close(up[1]);
    if (err != 0) throw std::runtime_error("bench peer: posix_spawn failed");
    to = fdopen(down[1], "w");
    from = fdopen(up[0], "r");
    threads = n;
  }
  ~Peer() { stop(); }
};

// Sends one request to the peer (started, or restarted at a new thread count, as needed); its answer.
double ask(const std::string& request) {
  static Peer peer;
  const int n = microtorch::get_num_threads();
  if (peer.pid >= 0 && peer.threads != n) peer.stop();
  if (peer.pid < 0) peer.start(n);
  std::fprintf(peer.to, "%s\n", request.c_str());
  std::fflush(peer.to);
  char line[512];
  if (!std::fgets(line, sizeof line, peer.from)) throw std::runtime_error("bench peer: no answer to " + request);
  if (std::string(line).rfind("error", 0) == 0) throw std::runtime_error("bench peer: " + std::string(line));
  return std::strtod(line, nullptr);
}

}  // namespace

Side libtorch(const std::string& name) {
  return {[name](int n) { ask("once " + std::to_string(n) + " " + name); },
          [name](int inner) { return ask("block " + std::to_string(inner) + " " + name); }};
}

double libtorch_page_faults(const std::string& name, int warmup, int reps) {
  return ask("faults " + std::to_string(warmup) + " " + std::to_string(reps) + " " + name);
}

Workload torch_workload(const std::string& name) {
  if (name == "gather") return torch_gather();
  if (name == "sparse" || name == "dense") return torch_embedding_step(name == "sparse");
  if (name == "mlp") return torch_mlp_step();
  if (name == "bigram") return torch_bigram_step();
  if (name == "tied") return torch_tied_gemm();
  if (name == "gpt") return torch_gpt_step();
  if (name.rfind("op:", 0) == 0) return torch_op(name.substr(3));
  return Workload();
}

int serve_libtorch(int threads) {
  torch_set_threads(threads);
  std::map<std::string, Workload> made;  // each workload built once, on its first request
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string command, name;
    int a = 0, b = 0;
    in >> command >> a;
    if (command == "faults") in >> b;
    std::getline(in >> std::ws, name);
    try {
      Workload& fn = made[name];
      if (!fn) fn = torch_workload(name);
      if (!fn) throw std::runtime_error("unknown workload " + name);
      double answer = 0;
      if (command == "once") {
        for (int i = 0; i < a; ++i) fn();
      } else if (command == "block") {
        answer = timed_block(fn, a);
      } else if (command == "faults") {
        answer = page_faults_per_call(fn, a, b);
      } else {
        throw std::runtime_error("unknown command " + command);
      }
      std::printf("%.17g\n", answer);
    } catch (const std::exception& e) {
      std::printf("error %s\n", e.what());
    }
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace bench
