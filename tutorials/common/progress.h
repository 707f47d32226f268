// A progress line for long training loops: step, loss, steps/s and time left. On a terminal it is one
// line redrawn in place with '\r'; piped to a file or a test log it prints plain lines, ten per run.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace tutorials {

class Progress {
 public:
  Progress(std::string label, int64_t total_steps);
  void update(int64_t step, double loss);  // step counts from 1; cheap when nothing is printed
  void set_note(std::string note);         // shown after the loss from now on, e.g. "val 2.0213"
  void finish();                           // ends the line on a terminal
  double seconds() const;                  // since construction

 private:
  void print(int64_t step, double loss, bool final_line);
  std::string label_, note_;
  int64_t total_;
  int64_t plain_every_;  // when not a terminal: print each this many steps
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// Prints "loss fell: first X last Y". Returns the exit status for --check: 1 when either is not
// finite or the loss did not fall, else 0 (and always 0 without --check).
int check_loss_fell(double first, double last, bool check);

}  // namespace tutorials
