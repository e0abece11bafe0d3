#include "dev_split_check.h"

#include <algorithm>
#include <set>

#include "config.h"
#include "dataset_file.h"
#include "error.h"
#include "h5_file.h"

namespace zl::sweep {

std::string training_dev_split(const std::string& train_config, const std::vector<std::string>& overrides) {
  Config c = Config::load_file(train_config, overrides);
  return c.child("train").get<std::string>("dev_split", "dev");
}

std::vector<std::string> dataset_config_splits(const std::string& dataset_config) {
  Config c = Config::load_file(dataset_config);
  Config in = c.child("inputs");
  std::vector<std::string> out;
  Config split = in.child("split");
  if (in.has("files")) {
    const Config files = in.child("files");
    for (const std::string& name : files.keys())
      if (files.has(name)) out.push_back(name);
    if (split.get<double>("dev_from_train", 0.0) > 0 && std::find(out.begin(), out.end(), "dev") == out.end())
      out.push_back("dev");
  } else {
    out.push_back("train");
    if (split.get<double>("dev", 0.1) > 0) out.push_back("dev");
    if (split.get<double>("test", 0.1) > 0) out.push_back("test");
  }
  return out;
}

namespace {

struct Trainer {
  std::string what;    // "the teacher" / "student tiny (kd distill)"
  std::string config;  // its training config
  std::vector<std::string> overrides;
  bool teacher_view;   // reads teacher.dataset instead of dataset.config
};

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? "none" : s;
}

}  // namespace

void check_dev_splits(const PipelineConfig& cfg) {
  std::vector<Trainer> trainers;
  if (cfg.teacher.file.empty())
    trainers.push_back({"the teacher (teacher.train)", cfg.teacher.train, cfg.teacher.overrides, !cfg.teacher.dataset.empty()});
  for (const auto& [name, preset] : cfg.students.models) {
    std::vector<std::string> sets = cfg.students.overrides;
    if (auto o = cfg.students.model_overrides.find(name); o != cfg.students.model_overrides.end())
      sets.insert(sets.end(), o->second.begin(), o->second.end());
    const bool view = std::find(cfg.students.teacher_view.begin(), cfg.students.teacher_view.end(), name) !=
                      cfg.students.teacher_view.end();
    for (bool kd : cfg.students.distillation)
      trainers.push_back({"student " + name + (kd ? " (students.distill)" : " (students.train)"),
                          kd ? cfg.students.distill : cfg.students.train, sets, view});
  }
  for (const auto& t : trainers) {
    const std::string dev = training_dev_split(t.config, t.overrides);
    if (dev == "none") continue;
    std::string data, problem;
    if (t.teacher_view || !cfg.dataset.config.empty()) {
      data = t.teacher_view ? cfg.teacher.dataset : cfg.dataset.config;
      const auto have = dataset_config_splits(data);
      if (std::find(have.begin(), have.end(), dev) == have.end())
        problem = "the dataset config " + data + " gives no split '" + dev + "' (it gives: " + joined(have) + ")";
    } else {
      data = cfg.dataset.file;
      const DatasetInfo info = read_dataset_info(data);
      if (std::find(info.split_names.begin(), info.split_names.end(), dev) == info.split_names.end()) {
        problem = "the prepared dataset " + data + " has no split '" + dev + "' (it has: " + joined(info.split_names) + ")";
      } else {
        const auto shape = h5::File::open_read(data).shape("/splits/" + dev + "/ids");
        if (!shape.empty() && shape[0] == 0) problem = "split '" + dev + "' of the prepared dataset " + data + " is empty";
      }
    }
    if (problem.empty()) continue;
    throw UserError(cfg.source + ": " + t.what + " evaluates on split '" + dev + "' (train.dev_split in " + t.config +
                    "), but " + problem + "; every training step would fail. Either add a dev split: in the dataset "
                    "config, inputs.split.dev_from_train: 0.1 carves a seeded, stratified tenth of train into dev "
                    "(for evaluation and early stopping), or give a dev file in inputs.files; or train a fixed budget "
                    "without evaluation: add train.dev_split=none to teacher.set and students.set (no early "
                    "stopping; best.pt is the final weights)");
  }
}

}  // namespace zl::sweep
