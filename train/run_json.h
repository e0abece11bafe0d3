// RUN_DIR/run.json (written by kd train: id, status, sizes, best metric, timing),
// read back by a resumed run and by load_run.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace zl {

// The file as a JSON object with a string run_id; UserError naming the file and
// what to do when it is garbled (cut short, edited) or was written by another tool.
nlohmann::json read_run_json(const std::string& path);

}  // namespace zl
