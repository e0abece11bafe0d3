// When is a sweep step done? A step is done when its completion marker exists,
// the marker's command hash equals the step's current one, every input file
// still has the checksum the marker recorded, and every output file exists with
// the checksum the marker recorded. Anything else reruns the step. The marker is
// written (atomically) only after the step succeeded, and removed before a step
// starts, so an interrupted step never looks finished.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace zl::sweep {

// What identifies one step's work (the command, not how it is run).
struct StepKey {
  std::string id;                    // e.g. "student/tiny/kd/share-0.2/seed-1"
  std::vector<std::string> command;  // program name (no directory) and arguments
  std::string extra;                 // anything else the result depends on (hashed)
  std::vector<std::string> inputs;   // files whose content the result depends on
  std::vector<std::string> outputs;  // files that exist once the step is done
};

// sha256 over the command and `extra` (not over the inputs' content).
std::string command_hash(const StepKey& key);

struct Validity {
  bool done = false;
  std::string reason;  // why it must run, e.g. "input changed: data/demo.h5"
};

// The marker file of a step inside `state_dir` (one JSON file per step).
std::string marker_path(const std::string& state_dir, const std::string& step_id);
// A file-system-safe name for a step id ("a/b c" -> "a__b_c").
std::string safe_name(const std::string& step_id);

Validity check_step(const StepKey& key, const std::string& state_dir);

// Records the step as done: command hash, input and output checksums, timing.
// Throws UserError when an output is missing (the step did not produce it).
void write_marker(const StepKey& key, const std::string& state_dir, double wall_seconds);
void remove_marker(const std::string& state_dir, const std::string& step_id);

// A training step killed or stopped before it finished leaves its run directory
// with checkpoint.pt; the next sweep continues it (kd train --resume) when the
// step's command and inputs are the ones it started with. The started marker
// (<step>.started.json) records them when the step starts.
std::string started_path(const std::string& state_dir, const std::string& step_id);
void write_started(const StepKey& key, const std::string& state_dir);
void remove_started(const std::string& state_dir, const std::string& step_id);
// done = the step may continue from its checkpoint; otherwise reason says why not
// ("no checkpoint", "input changed: ...", "command or settings changed").
Validity check_resumable(const StepKey& key, const std::string& state_dir, const std::string& checkpoint);

// Checksums of the step's inputs computed once per sweep invocation (a dataset
// is an input of many steps); the cache is keyed by path, size and mtime.
std::string cached_sha256(const std::string& path);

}  // namespace zl::sweep
