// SIGINT/SIGTERM during training: the handler only records the signal; the loop
// checks it between optimizer steps, writes a checkpoint and returns, so the run
// can be resumed exactly. A second signal falls back to the default action.
#pragma once

namespace zl {

class StopSignals {
 public:
  StopSignals();   // installs the handlers and clears any recorded signal
  ~StopSignals();  // restores the previous handlers
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
};

int stop_signal();  // the signal received (SIGINT/SIGTERM) or 0
void clear_stop_signal();

}  // namespace zl
