// Runs a helper program (the verification script under the venv's Python) with
// an argument vector (no shell, no quoting), its stdout/stderr passed through.
#pragma once

#include <string>
#include <vector>

namespace zl {

// Returns the exit status; 127 when the program cannot be started; 128+n on signal n.
int run_process(const std::vector<std::string>& argv);

// The directory of the running executable (for files installed beside it).
std::string executable_dir();

}  // namespace zl
