// `kd export onnx` and `kd export verify` as library functions: run directory ->
// checked ONNX graph -> parity against LibTorch with ONNX Runtime (and the INT8
// gate) -> a self-contained export directory, built in DIR.tmp and renamed into
// place only when everything passed.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>

#include "graph.h"

namespace zl {

struct ExportRequest {
  std::string run_dir;
  std::string out_dir;
  std::string data_path;        // "" = the dataset the run was trained on (RUN_DIR/dataset.json)
  std::string split = "test";   // parity is checked on every example of this split
  std::string weights = "best"; // best | final
  bool force = false;           // replace an existing out_dir
  bool allow_unfinished = false;
  bool int8 = false;
  double int8_max_drop = 0.5;   // accuracy points
  double max_abs_diff = 1e-4;
  double min_agreement = 0.999;
  int64_t threads = 1;          // CPU threads for both latency measurements
  int64_t latency_runs = 200;
  int64_t batch_size = 64;
  std::string python;           // "" = $ZL_PYTHON, then the build's venv python
  // Tests only: edits the graph before it is written (e.g. perturbs a weight to
  // prove that the parity check catches it).
  std::function<void(onnx_graph::Model&)> graph_hook;
};

// Exports and verifies; returns export.json's content. Throws UserError (exit 2)
// for bad input, failed parity or a missing ONNX Runtime, leaving no out_dir
// (and, with --force, the previous one untouched).
nlohmann::json run_export(const ExportRequest& req);

// Re-checks an existing export directory (req.out_dir) against the run:
// parity and latency as at export time; writes nothing into the directory.
nlohmann::json verify_export(const ExportRequest& req);

// The Python interpreter used for verification and the script's path (for messages and docs).
std::string resolve_python(const std::string& requested);
std::string verify_script_path();

}  // namespace zl
