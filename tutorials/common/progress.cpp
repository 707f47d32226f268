// Progress line: redraws at most ten times a second on a terminal, so printing never slows training.
#include "progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>

namespace tutorials {

Progress::Progress(std::string label, int64_t total_steps)
    : label_(std::move(label)),
      total_(total_steps),
      plain_every_(total_steps >= 10 ? total_steps / 10 : 1),
      tty_(isatty(fileno(stdout)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

double Progress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(int64_t step, double loss) {
  if (tty_) {
    const auto now = std::chrono::steady_clock::now();
    if (step < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    print(step, loss, false);
  } else if (step % plain_every_ == 0 || step == total_) {
    print(step, loss, true);
  }
}

void Progress::set_note(std::string note) { note_ = std::move(note); }

void Progress::print(int64_t step, double loss, bool final_line) {
  const double elapsed = seconds();
  const double rate = elapsed > 0 ? static_cast<double>(step) / elapsed : 0.0;
  const double left = rate > 0 ? static_cast<double>(total_ - step) / rate : 0.0;
  char line[200];
  std::snprintf(line, sizeof line, "%s step %7lld/%lld  loss %.4f%s%s  %8.0f steps/s  %5.1f s left", label_.c_str(),
                static_cast<long long>(step), static_cast<long long>(total_), loss, note_.empty() ? "" : "  ",
                note_.c_str(), rate, left);
  std::cout << (tty_ ? "\r" : "") << line << (final_line ? "\n" : "") << std::flush;
}

void Progress::finish() {
  if (tty_) std::cout << "\n";
}

bool LossWindows::add(int64_t step, double loss) {
  if (step == 1) first_ = loss;
  last_ = loss;
  sum_ += loss;
  if (step % window_ != 0) return false;
  curve_->x.push_back(static_cast<double>(step));
  curve_->y.push_back(sum_ / static_cast<double>(window_));
  sum_ = 0.0;
  return true;
}

int check_loss_fell(double first, double last, bool check) {
  std::printf("loss fell: first %.4f last %.4f\n", first, last);
  if (!check) return 0;
  const bool ok = std::isfinite(first) && std::isfinite(last) && last < first;
  if (!ok) std::printf("CHECK FAILED: the loss must be finite and fall\n");
  return ok ? 0 : 1;
}

}  // namespace tutorials
