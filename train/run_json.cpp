#include "run_json.h"

#include "atomic_file.h"
#include "error.h"

namespace zl {

nlohmann::json read_run_json(const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw UserError(path + " is damaged (not valid JSON: " + std::string(e.what()).substr(0, 200) +
                    "): the weights and checkpoint beside it are intact; delete run.json (kd train --resume "
                    "writes a new one) or restore it from a copy");
  }
  if (!j.is_object() || !j.contains("run_id") || !j["run_id"].is_string())
    throw UserError(path + " is not a run.json written by kd train (no string run_id; another tool or version?): "
                    "delete run.json (kd train --resume writes a new one) or restore it from a copy");
  return j;
}

}  // namespace zl
