// Training progress on stderr: a one-line bar redrawn with \r on a terminal
// (loss, lr, samples/s, ETA), plain log lines every log_every steps otherwise.
#pragma once

#include <cstdint>
#include <string>

namespace zl {

class Progress {
 public:
  // mode: auto | bar | lines ("auto" = bar when stderr is a terminal).
  Progress(const std::string& mode, int64_t total_steps);
  ~Progress();
  // Called after every optimizer step; draws the bar (throttled) or, every `log_every` steps, a line.
  void step(int64_t step, double loss, double lr, double samples_per_s, bool log_line);
  // A message on its own line (evaluation results, checkpoints); keeps the bar intact.
  void message(const std::string& text);
  void finish();

 private:
  std::string status_line(int64_t step, double loss, double lr, double samples_per_s) const;
  bool bar_;
  int64_t total_;
  bool drawn_ = false;
  double last_draw_ = 0;
};

std::string format_duration(double seconds);

}  // namespace zl
