// Temporary files left by writers that were killed (SIGKILL) before AtomicFile's
// commit() or destructor could run: FINAL.tmp.PID.HEX (atomic_file.cpp names them).
#pragma once

#include <string>

namespace zl {

// Removes the temporary files in `dir` (and below it when `recursive`) whose writer
// process PID no longer runs; returns how many. A live writer's file stays. The
// commands that own a directory (kd train, kd sweep) call this when they start.
int remove_stale_temp_files(const std::string& dir, bool recursive = false);

}  // namespace zl
