#include "run_dir.h"

#include <nlohmann/json.hpp>

#include "atomic_file.h"
#include "checkpoint.h"
#include "checksum.h"
#include "config.h"
#include "error.h"
#include "run_json.h"

namespace zl {

std::string dataset_info_json(const DatasetInfo& info, const std::string& data_path) {
  auto parse = [](const std::string& s) {
    try {
      return nlohmann::json::parse(s);
    } catch (...) {
      return nlohmann::json(s);
    }
  };
  nlohmann::json j = {{"path", data_path},
                      {"content_sha256", info.content_sha256},
                      {"task", task_name(info.task)},
                      {"label_names", info.label_names},
                      {"max_length", info.max_length},
                      {"vocab_size", info.vocab_size},
                      {"pad_id", info.pad_id},
                      {"unk_id", info.unk_id},
                      {"cls_id", info.cls_id},
                      {"sep_id", info.sep_id},
                      {"tokenizer_sha256", info.tokenizer_sha256},
                      {"tokenizer_type", info.tokenizer_type},
                      {"normalization", parse(info.normalization_json)},
                      {"masking", parse(info.masking_json)},
                      {"split_names", info.split_names},
                      {"toolkit_version", info.toolkit_version},
                      {"created_at", info.created_at}};
  return j.dump(2) + "\n";
}

DatasetInfo dataset_info_from_json(const std::string& text, const std::string& source) {
  DatasetInfo info;
  try {
    auto j = nlohmann::json::parse(text);
    info.task = parse_task(j.at("task").get<std::string>(), source);
    info.label_names = j.at("label_names").get<std::vector<std::string>>();
    info.max_length = j.at("max_length").get<int64_t>();
    info.vocab_size = j.at("vocab_size").get<int64_t>();
    info.pad_id = j.at("pad_id").get<int64_t>();
    info.unk_id = j.at("unk_id").get<int64_t>();
    info.cls_id = j.at("cls_id").get<int64_t>();
    info.sep_id = j.at("sep_id").get<int64_t>();
    info.content_sha256 = j.at("content_sha256").get<std::string>();
    info.tokenizer_sha256 = j.value("tokenizer_sha256", "");
    info.tokenizer_type = j.value("tokenizer_type", "");
    info.normalization_json = j.value("normalization", nlohmann::json::object()).dump();
    info.masking_json = j.value("masking", nlohmann::json::object()).dump();
    info.split_names = j.value("split_names", std::vector<std::string>{});
    info.toolkit_version = j.value("toolkit_version", "");
    info.created_at = j.value("created_at", "");
  } catch (const nlohmann::json::exception& e) {
    throw UserError(source + ": not a valid dataset.json (" + e.what() + ")");
  }
  return info;
}

void save_weights(ClassifierImpl& model, const std::string& path) {
  save_archive_atomic(path, [&](torch::serialize::OutputArchive& a) { model.save(a); });
}

void load_weights(ClassifierImpl& model, const std::string& path) {
  torch::serialize::InputArchive a;
  load_archive(path, a);
  // Module::load replaces tensors wholesale (set_), so a file of another shape would
  // load silently: compare every shape before and after.
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
  for (const auto& kv : model.named_parameters()) shapes.emplace_back(kv.key(), kv.value().sizes().vec());
  try {
    model.load(a);
  } catch (const c10::Error& e) {
    throw UserError(path + " does not fit the model built from the run's config (" +
                    std::string(e.what_without_backtrace()).substr(0, 300) + ")");
  }
  auto after = model.named_parameters();
  for (const auto& [name, sizes] : shapes) {
    if (after[name].sizes().vec() != sizes)
      throw UserError(path + " does not fit the model built from the run's config: " + name + " has shape " +
                      c10::str(after[name].sizes()) + " in the file, " + c10::str(c10::IntArrayRef(sizes)) +
                      " in the model");
  }
}

LoadedRun load_run(const std::string& run_dir, const std::string& which) {
  if (which != "best" && which != "final")
    throw UserError("load_run: which must be 'best' or 'final' (got '" + which + "')");
  LoadedRun r;
  r.run_dir = run_dir;
  const std::string cfg_path = run_dir + "/config.yaml";
  if (!file_exists(cfg_path))
    throw UserError(run_dir + " is not a Zhengliu run directory (no config.yaml): pass the --out directory of kd train");
  Config cfg = Config::load_file(cfg_path);
  if (!cfg.has("model")) throw UserError(cfg_path + ": has no model section");
  r.model_config = ModelConfig::from_config(cfg.child("model"));
  r.info = dataset_info_from_json(read_file(run_dir + "/dataset.json"), run_dir + "/dataset.json");
  if (file_exists(run_dir + "/run.json")) r.run_id = read_run_json(run_dir + "/run.json").value("run_id", "");
  r.weights_path = run_dir + "/" + which + ".pt";
  if (!file_exists(r.weights_path))
    throw UserError(r.weights_path + " does not exist: the run has not finished (see " + run_dir +
                    "/run.json), or use the other weights (best/final)");
  r.model = build_model(r.model_config, r.info);
  load_weights(*r.model, r.weights_path);
  r.model->eval();
  r.weights_sha256 = sha256_file(r.weights_path);
  return r;
}

}  // namespace zl
