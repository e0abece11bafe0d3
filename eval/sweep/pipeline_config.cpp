#include "pipeline_config.h"

#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <set>
#include <sstream>

#include "atomic_file.h"
#include "error.h"

namespace zl::sweep {

std::string expand_env(const std::string& text, const std::string& where) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 2, "${") == 0) {
      size_t end = text.find('}', i + 2);
      if (end == std::string::npos) throw UserError(where + ": unclosed '${' in '" + text + "'");
      std::string var = text.substr(i + 2, end - i - 2);
      const char* v = std::getenv(var.c_str());
      if (!v || !*v)
        throw UserError(where + ": '" + text + "' uses ${" + var + "}, which is not set: export " + var +
                        "=... (e.g. KD_DATASETS=/work/shared/datasets) and run again");
      out += v;
      i = end + 1;
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::string share_label(double share) {
  std::ostringstream s;
  s << std::setprecision(6) << share;
  return s.str();
}

namespace {

// Input paths are relative to the pipeline file's folder (as in dataset configs).
std::string resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

std::string path_key(const Config& c, const std::string& key, bool required) {
  std::string v = required ? c.require<std::string>(key) : c.get<std::string>(key, "");
  if (v.empty()) return v;
  v = resolve(std::filesystem::path(c.source()).parent_path().string(), expand_env(v, c.source() + ": " + c.path(key)));
  if (!file_exists(v))
    c.fail(key, "names '" + v + "', which does not exist (relative paths start at the pipeline file's folder)");
  return v;
}

}  // namespace

PipelineConfig load_pipeline_config(const std::string& path, const std::vector<std::string>& overrides) {
  Config root = Config::load_file(path, overrides);
  PipelineConfig p;
  p.source = path;
  p.name = root.get<std::string>("name", "sweep");
  p.output = root.get<std::string>("output", "runs/sweeps/" + p.name);
  p.output = expand_env(p.output, path + ": output");

  Config d = root.child("dataset");
  p.dataset.config = path_key(d, "config", false);
  p.dataset.file = path_key(d, "file", false);
  if (p.dataset.config.empty() == p.dataset.file.empty())
    d.fail(p.dataset.config.empty() ? "config" : "file",
           "give exactly one of dataset.config (a dataset config to prepare) or dataset.file (a prepared file)");

  Config t = root.child("teacher");
  p.teacher.file = path_key(t, "file", false);
  if (p.teacher.file.empty()) {
    p.teacher.model = path_key(t, "model", true);
    p.teacher.train = path_key(t, "train", true);
  } else {
    t.allow("model");
    t.allow("train");
  }
  p.teacher.seeds = t.get<std::vector<int64_t>>("seeds", {1});
  t.check(!p.teacher.seeds.empty(), "seeds", "needs at least one seed");
  p.teacher.overrides = t.get<std::vector<std::string>>("set", {});
  p.teacher.dataset = path_key(t, "dataset", false);
  p.teacher.sentence = t.get<bool>("sentence", false);
  if (!p.teacher.dataset.empty() && (p.dataset.config.empty() || !p.teacher.file.empty()))
    t.fail("dataset", p.teacher.file.empty()
                          ? "needs dataset.config: the sweep prepares the teacher's view from the same inputs as the "
                            "students' dataset, so give the students' data as a dataset config too"
                          : "does not go with teacher.file (an external teacher file was computed on its own data)");

  Config s = root.child("students");
  YAML::Node models = s.node()["models"];
  s.allow("models");
  if (!models || !models.IsMap() || models.size() == 0)
    s.fail("models", "must map student names to model presets, e.g. models: {tiny: configs/models/student_tiny.yaml}");
  std::set<std::string> names;
  const Config models_section = s.child("models");
  for (const std::string& name : models_section.keys()) {
    const YAML::Node value = models[name];  // present: keys() listed it
    std::string preset_text;
    if (value.IsMap()) {
      // {model: PRESET, set: [...]}: a preset with overrides of its own.
      Config m = models_section.child(name);
      preset_text = m.require<std::string>("model");
      p.students.model_overrides[name] = m.get<std::vector<std::string>>("set", {});
      if (m.has("seeds")) {
        p.students.model_seeds[name] = m.get<std::vector<int64_t>>("seeds", {});
        m.check(!p.students.model_seeds[name].empty(), "seeds", "needs at least one seed");
      }
    } else if (value.IsScalar()) {
      models_section.allow(name);
      preset_text = value.Scalar();
    } else {
      s.fail("models." + name, "must be a model preset path or {model: PRESET, set: [key=value, ...]}");
    }
    std::string preset = resolve(std::filesystem::path(path).parent_path().string(),
                                 expand_env(preset_text, path + ": students.models." + name));
    if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos)
      s.fail("models", "student name '" + name + "' must use lower-case letters, digits, '-' and '_' only");
    if (!file_exists(preset)) s.fail("models." + name, "names '" + preset + "', which does not exist");
    names.insert(name);
    p.students.models.emplace_back(name, preset);
  }
  p.students.distillation = s.get<std::vector<bool>>("distillation", {true, false});
  s.check(!p.students.distillation.empty(), "distillation", "needs at least one of true, false");
  bool any_kd = false, any_plain = false;
  for (bool b : p.students.distillation) (b ? any_kd : any_plain) = true;
  p.students.train = path_key(s, "train", any_plain);
  p.students.distill = path_key(s, "distill", any_kd);
  p.students.seeds = s.get<std::vector<int64_t>>("seeds", {1});
  s.check(!p.students.seeds.empty(), "seeds", "needs at least one seed");
  p.students.label_shares = s.get<std::vector<double>>("label_shares", {1.0});
  s.check(!p.students.label_shares.empty(), "label_shares", "needs at least one share, e.g. [1.0]");
  for (double share : p.students.label_shares)
    s.check(share > 0 && share <= 1, "label_shares", "each share must be in (0, 1] (got " + share_label(share) + ")");
  p.students.label_share_seed = s.get<uint64_t>("label_share_seed", 0);
  p.students.overrides = s.get<std::vector<std::string>>("set", {});
  p.students.teacher_view = s.get<std::vector<std::string>>("teacher_view", {});
  for (const auto& n : p.students.teacher_view) {
    s.check(names.count(n) > 0, "teacher_view", "names '" + n + "', which is not one of students.models");
    s.check(!p.teacher.dataset.empty(), "teacher_view",
            "needs teacher.dataset (the teacher's view of the data that these students read)");
  }

  p.students.transfer_noise = s.get<std::string>("transfer_noise", "");
  p.students.transfer_copies = s.get<int64_t>("transfer_copies", 4);
  s.check(p.students.transfer_copies >= 1 && p.students.transfer_copies <= 1000, "transfer_copies", "must be in [1, 1000]");
  p.students.transfer_seed = static_cast<uint64_t>(s.get<int64_t>("transfer_seed", 1));
  s.check(p.students.transfer_noise.empty() || p.teacher.file.empty(), "transfer_noise",
          "needs a teacher the sweep trains (teacher.model): an external teacher file has no outputs for the noised copies");

  Config e = root.child("eval");
  p.eval.split = e.get<std::string>("split", "test");
  p.eval.device = e.get_choice("device", "cpu", {"cpu", "cuda", "auto"});
  p.eval.latency_runs = e.get<int64_t>("latency_runs", 200);
  e.check(p.eval.latency_runs >= 200, "latency_runs", "must be at least 200 (the latency percentiles need them)");
  p.eval.noise = e.get<std::vector<std::string>>("noise", {});
  for (const auto& n : p.eval.noise)
    e.check(!n.empty() && n.find('/') == std::string::npos && n.find(' ') == std::string::npos, "noise",
            "each entry is a noise spec for kd data augment --eval-noise, e.g. 0.1 or homophone=0.1,drop=0.02");

  Config r = root.child("report");
  p.report_max_drop_points = r.get<double>("max_drop_points", 1.0);
  r.check(p.report_max_drop_points >= 0 && p.report_max_drop_points < 100, "max_drop_points",
          "must be percentage points in [0, 100), e.g. 1.0");
  p.report_metric = r.get_choice("metric", "accuracy", {"accuracy", "macro_f1"});
  Config x = root.child("export");
  p.export_onnx = x.get<bool>("onnx", false);

  root.check_unknown_keys();
  p.resolved_yaml = root.to_yaml();
  return p;
}

}  // namespace zl::sweep
