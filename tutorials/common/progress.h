// A progress line for long training loops: step, loss, steps/s and time left. On a terminal it is one
// line redrawn in place with '\r'; piped to a file or a test log it prints plain lines, ten per run.
// LossWindows keeps the first, latest and per-window mean losses that a loss picture and --check use.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include "svg.h"

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

// The training loss step by step: step 1's, the latest, and the mean of each `window` steps added to curve
// (at the window's last step) for a loss picture.
class LossWindows {
 public:
  LossWindows(Series& curve, int64_t window) : curve_(&curve), window_(window) {}
  bool add(int64_t step, double loss);  // step counts from 1; true when it closed a window
  double first() const { return first_; }
  double last() const { return last_; }
  // The last window's mean (steadier than one batch), or the latest loss before any window closed.
  double settled() const { return curve_->y.empty() ? last_ : curve_->y.back(); }

 private:
  Series* curve_;
  int64_t window_;
  double first_ = 0.0, last_ = 0.0, sum_ = 0.0;
};

// Prints "loss fell: first X last Y". Returns the exit status for --check: 1 when either is not
// finite or the loss did not fall, else 0 (and always 0 without --check).
int check_loss_fell(double first, double last, bool check);

}  // namespace tutorials
