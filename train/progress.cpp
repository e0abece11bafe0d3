#include "progress.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

namespace zl {

namespace {
double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

std::string format_duration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) return "?";
  auto s = static_cast<int64_t>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", static_cast<long>(s / 3600), static_cast<long>(s / 60 % 60));
  else std::snprintf(buf, sizeof buf, "%ldm%02lds", static_cast<long>(s / 60), static_cast<long>(s % 60));
  return buf;
}

Progress::Progress(const std::string& mode, int64_t total_steps)
    : bar_(mode == "bar" || (mode == "auto" && ::isatty(STDERR_FILENO))), total_(total_steps) {}

Progress::~Progress() { finish(); }

std::string Progress::status_line(int64_t step, double loss, double lr, double sps) const {
  char buf[256];
  std::snprintf(buf, sizeof buf, "step %ld/%ld (%3.0f%%)  loss %.4f  lr %.2e  %.0f samples/s", static_cast<long>(step),
                static_cast<long>(total_), 100.0 * static_cast<double>(step) / static_cast<double>(total_ ? total_ : 1),
                loss, lr, sps);
  return buf;
}

void Progress::step(int64_t step, double loss, double lr, double sps, bool log_line) {
  // ETA from the rate of steps since the bar started (samples/s is per sample).
  static thread_local double t_start = 0;
  static thread_local int64_t s_start = 0;
  if (t_start == 0 || step <= s_start) {
    t_start = now_s();
    s_start = step;
  }
  const double t = now_s();
  const double rate = (t - t_start) > 0 ? static_cast<double>(step - s_start) / (t - t_start) : 0;
  const std::string eta = rate > 0 ? format_duration(static_cast<double>(total_ - step) / rate) : "?";
  const std::string line = status_line(step, loss, lr, sps) + "  ETA " + eta;
  if (bar_) {
    if (t - last_draw_ < 0.1 && step != total_) return;
    last_draw_ = t;
    std::fprintf(stderr, "\r%-110s", line.c_str());
    std::fflush(stderr);
    drawn_ = true;
  } else if (log_line) {
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
  }
}

void Progress::message(const std::string& text) {
  if (bar_ && drawn_) std::fprintf(stderr, "\r%-110s\r", "");
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
  drawn_ = false;
}

void Progress::finish() {
  if (bar_ && drawn_) {
    std::fprintf(stderr, "\n");
    std::fflush(stderr);
    drawn_ = false;
  }
}

}  // namespace zl
