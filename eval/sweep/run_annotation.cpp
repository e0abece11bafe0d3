#include "run_annotation.h"

#include "atomic_file.h"
#include "error.h"

namespace zl::sweep {

using nlohmann::json;

int annotate_runs(const json& manifest) {
  int changed = 0;
  for (const auto& r : manifest.value("runs", json::array())) {
    const std::string path = r.value("run_dir", "") + "/run.json";
    if (!file_exists(path)) continue;
    json j;
    try {
      j = json::parse(read_file(path));
    } catch (const json::exception& e) {
      throw UserError(path + ": not valid JSON (" + e.what() + "); delete the run directory and run kd sweep again");
    }
    json before = j;
    const bool teacher = r.value("role", "") == "teacher";
    j["name"] = teacher ? "teacher" : r.value("model", "");
    j["kind"] = teacher ? "teacher" : "student";
    j["with_distillation"] = r.value("distillation", false);
    j["gold_label_share"] = r.value("label_share", 1.0);
    j["seed"] = r.value("seed", 0);
    if (!j.contains("params") && j.contains("parameters")) j["params"] = j["parameters"];
    j["sweep"] = {{"run", r.value("name", "")}, {"twin", r.value("twin", "")}, {"teacher_file", r.value("teacher_file", "")}};
    if (j != before) {
      write_file_atomic(path, j.dump(2) + "\n");
      ++changed;
    }
  }
  return changed;
}

std::string run_dir_of(const json& manifest, const std::string& run_id) {
  for (const auto& r : manifest.value("runs", json::array())) {
    const std::string path = r.value("run_dir", "") + "/run.json";
    if (!file_exists(path)) continue;
    try {
      if (json::parse(read_file(path)).value("run_id", "") == run_id) return r.value("run_dir", "");
    } catch (const json::exception&) {
    }
  }
  return "";
}

}  // namespace zl::sweep
