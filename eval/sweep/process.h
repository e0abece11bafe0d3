// Running one sweep step as a child process with its output in a log file.
// SIGINT / SIGTERM sent to the sweep are passed on to the running step (whose
// trainer then saves a checkpoint and exits), and the sweep stops after it.
#pragma once

#include <string>
#include <vector>

namespace zl::sweep {

struct ProcessResult {
  int exit_code = -1;   // the child's exit status, or -1 when it died of a signal
  int term_signal = 0;  // the signal that ended the child, if any
  double wall_seconds = 0;
  bool ok() const { return exit_code == 0; }
  std::string describe() const;  // "exit status 2" / "killed by signal 9"
};

// Installs the forwarding handlers (once, at start-up).
void install_signal_forwarding();
// The signal the sweep received (0 = none): stop starting new steps.
int stop_signal();

// Runs argv[0] (a path) with the arguments; stdout and stderr go to `log_path`
// (appended, with a header line holding the command). With `echo` the child's
// output is also copied to our stdout (the log still gets everything).
ProcessResult run_logged(const std::vector<std::string>& argv, const std::string& log_path, bool echo);

// What a failed step said: the error lines of the last command in `log_path` (lines
// with "error"), or its last `max_lines` lines when none says so; "" for no log.
// Printed with the failure so the user sees the cause without opening the log.
std::string last_error_lines(const std::string& log_path, size_t max_lines = 8);

// Shell-quoted command line, for logs and messages.
std::string shell_join(const std::vector<std::string>& argv);

}  // namespace zl::sweep
