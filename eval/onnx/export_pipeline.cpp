#include "export_pipeline.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>

#include <unistd.h>

#include "atomic_file.h"
#include "checksum.h"
#include "error.h"
#include "export_graph.h"
#include "model_card.h"
#include "onnx_writer.h"
#include "process.h"
#include "reference_outputs.h"
#include "run_dir.h"

#ifndef ZL_PYTHON_DEFAULT
#define ZL_PYTHON_DEFAULT "python3"
#endif
#ifndef ZL_SOURCE_DIR
#define ZL_SOURCE_DIR "."
#endif

namespace fs = std::filesystem;
using nlohmann::json;

namespace zl {

std::string resolve_python(const std::string& requested) {
  if (!requested.empty()) return requested;
  if (const char* env = std::getenv("ZL_PYTHON"); env && *env) return env;
  return std::string(ZL_PYTHON_DEFAULT).empty() ? "python3" : ZL_PYTHON_DEFAULT;
}

std::string verify_script_path() {
  if (const char* env = std::getenv("ZL_VERIFY_ONNX"); env && *env) {
    if (!fs::exists(env)) throw UserError(std::string("ZL_VERIFY_ONNX=") + env + ": no such file");
    return env;
  }
  // Installed layout: bin/kd-export beside share/zhengliu/verify_onnx.py (the build tree has the same).
  const std::string installed = executable_dir() + "/../share/zhengliu/verify_onnx.py";
  if (fs::exists(installed)) return fs::weakly_canonical(installed).string();
  const std::string source = std::string(ZL_SOURCE_DIR) + "/scripts/verify_onnx.py";
  if (fs::exists(source)) return source;
  throw UserError("cannot find verify_onnx.py (looked in " + installed + " and " + source +
                  "); set ZL_VERIFY_ONNX to its path");
}

namespace {

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

json parse_json_or(const std::string& s, json fallback) {
  try {
    return json::parse(s);
  } catch (...) {
    return fallback;
  }
}

void check_python(const std::string& py) {
  const int rc = run_process({py, "-c", "import onnxruntime, onnx, h5py, numpy"});
  if (rc != 0)
    throw UserError("ONNX Runtime missing: `" + py +
                    " -c 'import onnxruntime, onnx, h5py, numpy'` failed (exit " + std::to_string(rc) +
                    "). Verification needs the toolkit's Python venv (scripts/setup installs it): pass --python "
                    "PATH or set ZL_PYTHON to its bin/python");
}

struct Prepared {
  LoadedRun run;
  json run_json = json::object();
  std::string data_path;
  DatasetInfo file_info;
  std::string python, script;
};

Prepared prepare(const ExportRequest& req) {
  Prepared p;
  if (req.run_dir.empty()) throw UserError("--run RUN_DIR is required");
  if (!fs::is_directory(req.run_dir))
    throw UserError(req.run_dir + ": no such run directory (pass the --out directory of kd train / kd distill)");
  const std::string run_json_path = req.run_dir + "/run.json";
  if (fs::exists(run_json_path)) {
    try {
      p.run_json = json::parse(read_file(run_json_path));
    } catch (const json::exception& e) {
      throw UserError(run_json_path + ": corrupt run.json (" + std::string(e.what()) + ")");
    }
    const std::string status = p.run_json.value("status", "");
    if (status != "finished" && !req.allow_unfinished)
      throw UserError(run_json_path + ": the run's status is '" + status +
                      "', not 'finished': finish it (kd train --resume) or pass --allow-unfinished to export its " +
                      req.weights + ".pt");
  } else if (!req.allow_unfinished) {
    throw UserError(run_json_path + " is missing: not a finished run directory (pass --allow-unfinished to export anyway)");
  }
  try {
    p.run = load_run(req.run_dir, req.weights);
  } catch (const UserError&) {
    throw;
  } catch (const std::exception& e) {
    std::string what = e.what();
    throw UserError(req.run_dir + ": cannot load the run's model (corrupt or incompatible files?): " +
                    what.substr(0, what.find('\n')));
  }
  const auto& archs = exportable_architectures();
  if (std::find(archs.begin(), archs.end(), p.run.model_config.architecture) == archs.end())
    throw UserError(req.run_dir + "/config.yaml: model.architecture '" + p.run.model_config.architecture +
                    "' has no ONNX exporter (exportable: transformer, bilstm, textcnn)");
  if (!fs::exists(req.run_dir + "/tokenizer.model"))
    throw UserError(req.run_dir + "/tokenizer.model is missing: the export would not be self-contained "
                    "(re-run training from a dataset prepared by kd data prepare)");
  p.data_path = req.data_path;
  if (p.data_path.empty()) {
    const std::string dj = req.run_dir + "/dataset.json";
    p.data_path = parse_json_or(read_file(dj), json::object()).value("path", "");
    if (p.data_path.empty()) throw UserError(dj + ": has no dataset path; pass --data");
  }
  if (!fs::exists(p.data_path))
    throw UserError(p.data_path + ": the run's dataset is not there (moved?); pass its current path with --data");
  p.file_info = read_dataset_info(p.data_path);
  p.python = resolve_python(req.python);
  p.script = verify_script_path();
  check_python(p.python);
  return p;
}

std::vector<std::string> verify_args(const ExportRequest& req, const Prepared& p, const std::string& model,
                                     const std::string& ref, const std::string& out_json, bool int8) {
  std::vector<std::string> a{p.python,
                             p.script,
                             "--model",
                             model,
                             "--reference",
                             ref,
                             "--out-json",
                             out_json,
                             "--threads",
                             std::to_string(req.threads),
                             "--latency-runs",
                             std::to_string(req.latency_runs),
                             "--max-abs-diff",
                             std::to_string(req.max_abs_diff),
                             "--min-agreement",
                             std::to_string(req.min_agreement)};
  if (int8) {
    a.push_back("--int8");
    a.push_back("--int8-max-drop");
    a.push_back(std::to_string(req.int8_max_drop));
  }
  return a;
}

// Runs verify_onnx.py; returns its JSON; throws UserError when parity fails or Python breaks.
json run_verify(const std::vector<std::string>& args, const std::string& out_json) {
  const int rc = run_process(args);
  if (rc == 4) throw UserError("ONNX Runtime missing in " + args[0] + " (see the message above)");
  json result = fs::exists(out_json) ? parse_json_or(read_file(out_json), json::object()) : json::object();
  if (rc == 3) {
    std::string why;
    for (const auto& s : result.value("parity", json::object()).value("problems", json::array())) why += (why.empty() ? "" : "; ") + s.get<std::string>();
    throw UserError("parity check FAILED (ONNX Runtime vs LibTorch on split '" + result.value("split", "?") +
                    "'): " + why + ". Nothing was exported; this is a bug in the exporter for this model: report it");
  }
  if (rc != 0)
    throw UserError("verification failed: " + args[1] + " exited with status " + std::to_string(rc) +
                    " (see its message above)");
  return result;
}

json example_for_card(const Prepared& p, const ExportRequest& req, const ReferenceOutputs& ref) {
  const SplitData split = read_split(p.data_path, req.split, /*with_text=*/true);
  const auto& names = p.run.info.label_names;
  const int64_t L = ref.num_labels;
  auto predicted = [&](int64_t i) {
    std::vector<int64_t> on;
    const float* row = ref.logits.data() + i * L;
    if (p.run.info.task == Task::kMultiLabel) {
      for (int64_t c = 0; c < L; ++c)
        if (row[c] > 0) on.push_back(c);
    } else {
      on.push_back(std::max_element(row, row + L) - row);
    }
    return on;
  };
  int64_t pick = 0;
  if (p.run.info.task != Task::kMultiLabel && !ref.labels.empty()) {
    for (int64_t i = 0; i < ref.num_examples; ++i)
      if (ref.labels[i] >= 0 && predicted(i)[0] == ref.labels[i] && !split.text[i].empty()) {
        pick = i;
        break;
      }
  }
  json ex = {{"split", req.split}, {"row", pick}, {"id", split.ids[pick]}, {"text", split.text[pick]}};
  if (p.run.info.task == Task::kPair) ex["text_b"] = split.text_b[pick];
  auto on = predicted(pick);
  if (p.run.info.task == Task::kMultiLabel) {
    std::string repr = "[";  // as Python prints a list of str
    for (size_t k = 0; k < on.size(); ++k) repr += (k ? ", '" : "'") + names[on[k]] + "'";
    ex["label_text"] = repr + "]";
  } else {
    ex["label_text"] = names[on[0]];
  }
  return ex;
}

std::vector<std::pair<std::string, std::string>> metadata(const Prepared& p, const ReferenceOutputs& ref,
                                                          const ExportRequest& req) {
  const auto& info = p.run.info;
  const int64_t model_max = p.run.model_config.max_length;
  json test = {{"split", req.split}, {"examples", ref.num_examples}, {"labelled", ref.labelled},
               {"accuracy", ref.accuracy},
               {"accuracy_definition", info.task == Task::kMultiLabel ? "exact match, logit > 0" : "top-1"}};
  json run_metrics = {{"best", p.run_json.value("best", json())}, {"step", p.run_json.value("step", json())},
                      {"status", p.run_json.value("status", json())}};
  return {
      {"zhengliu.format", "zhengliu.onnx_classifier/1"},
      {"labels", json(info.label_names).dump()},
      {"task", task_name(info.task)},
      {"max_length", std::to_string(std::min(info.max_length, model_max))},
      {"dataset_max_length", std::to_string(info.max_length)},
      {"model_max_length", std::to_string(model_max)},
      {"special_ids", json({{"pad", info.pad_id}, {"unk", info.unk_id}, {"cls", info.cls_id}, {"sep", info.sep_id}}).dump()},
      {"framing", info.task == Task::kPair ? "[CLS] a [SEP] b [SEP]" : "[CLS] a [SEP]"},
      {"tokenizer_sha256", info.tokenizer_sha256},
      {"tokenizer_type", info.tokenizer_type},
      {"normalization", info.normalization_json},
      {"masking", info.masking_json},
      {"dataset_content_sha256", info.content_sha256},
      {"architecture", p.run.model_config.architecture},
      {"model", p.run.model->describe()},
      {"run_id", p.run.run_id},
      {"run_metrics", run_metrics.dump()},
      {"test_metrics", test.dump()},
      {"weights_sha256", p.run.weights_sha256},
      {"toolkit_version", ZL_VERSION},
  };
}

ReferenceOutputs reference_with_latency(const Prepared& p, const ExportRequest& req, LatencyStats* lat) {
  std::cerr << "kd export: LibTorch over split '" << req.split << "' of " << p.data_path << std::endl;
  ReferenceOutputs ref = compute_reference(p.run, p.data_path, req.split, req.batch_size);
  *lat = measure_latency(p.run, ref, req.latency_runs, req.threads);
  return ref;
}

void check_request(const ExportRequest& req) {
  if (req.out_dir.empty()) throw UserError("--out DIR is required");
  if (req.threads < 1) throw UserError("--threads must be >= 1");
  if (req.latency_runs < 200) throw UserError("--latency-runs must be >= 200 (p95 needs enough runs)");
  if (req.batch_size < 1) throw UserError("--batch-size must be >= 1");
}

}  // namespace

json run_export(const ExportRequest& req) {
  check_request(req);
  const fs::path out = fs::path(req.out_dir).lexically_normal();
  if (fs::exists(out) && !req.force)
    throw UserError(out.string() + " already exists: choose another --out or pass --force to replace it");
  Prepared p = prepare(req);

  const fs::path tmp = out.string() + ".tmp";
  std::error_code ec;
  fs::remove_all(tmp, ec);  // a leftover of an interrupted export (our own name)
  fs::create_directories(tmp);
  try {
    LatencyStats torch_lat;
    ReferenceOutputs ref = reference_with_latency(p, req, &torch_lat);
    json example = example_for_card(p, req, ref);

    onnx_graph::Model graph = build_onnx_graph(p.run, metadata(p, ref, req));
    if (req.graph_hook) req.graph_hook(graph);
    const std::string model_path = (tmp / "model.onnx").string();
    try {
      onnx_graph::write_model(graph, model_path);
    } catch (const UserError&) {
      throw;
    } catch (const std::exception& e) {
      throw UserError(std::string("writing model.onnx failed: ") + e.what());
    }
    const std::string ref_path = (tmp / ".reference.h5").string();
    const std::string verify_json = (tmp / ".verify.json").string();
    write_reference_file(ref_path, ref, p.run.info, torch_lat);
    std::cerr << "kd export: ONNX Runtime parity check (" << p.python << " " << p.script << ")" << std::endl;
    json verification = run_verify(verify_args(req, p, model_path, ref_path, verify_json, req.int8), verify_json);
    fs::remove(ref_path);
    fs::remove(verify_json);

    const std::string tok = read_file(req.run_dir + "/tokenizer.model");
    write_file_atomic((tmp / "tokenizer.model").string(), tok);
    write_file_atomic((tmp / "labels.json").string(), json(p.run.info.label_names).dump(2) + "\n");
    // A pretrained checkpoint's tokenizer: deployers run the checkpoint's own tokenizer
    // files (tokenizer/) and map its ids to the model's through vocab_map.json (the
    // vocabulary may be pruned, and the placeholders are pieces added here).
    const json pretrained = parse_json_or(p.file_info.pretrained_json, json::object());
    if (!p.file_info.vocab_map.empty()) {
      json vm = {{"format", "zhengliu.vocab_map/1"},
                 {"vocab_map", p.file_info.vocab_map},
                 {"placeholders", pretrained.value("placeholders", json::object())},
                 {"unk_id", p.file_info.unk_id},
                 {"pretrained_tokenizer", pretrained}};
      write_file_atomic((tmp / "vocab_map.json").string(), vm.dump() + "\n");
      const std::string src_dir = pretrained.value("dir", "");
      const json files = pretrained.value("files", json::object());  // a named value: items() keeps a reference
      for (const auto& [name, sha] : files.items()) {
        const std::string src = src_dir + "/" + name;
        if (!fs::exists(src))
          throw UserError(p.data_path + ": the checkpoint's tokenizer file " + src +
                          " (recorded when the data was prepared) is missing: the export would not be "
                          "self-contained; restore the checkpoint directory or prepare the data again");
        if (sha.is_string() && sha256_file(src) != sha.get<std::string>())
          throw UserError(src + " changed since " + p.data_path +
                          " was prepared (sha256 differs): prepare the data again with this tokenizer");
        fs::create_directories(tmp / "tokenizer");
        write_file_atomic((tmp / "tokenizer" / name).string(), read_file(src));
      }
    }

    const auto& info = p.run.info;
    json summary = {
        {"format", "zhengliu.onnx_export/1"},
        {"toolkit_version", ZL_VERSION},
        {"exported_at", utc_now()},
        {"run",
         {{"run_dir", fs::absolute(req.run_dir).string()},
          {"run_id", p.run.run_id},
          {"weights", req.weights},
          {"weights_sha256", p.run.weights_sha256},
          {"status", p.run_json.value("status", json())},
          {"step", p.run_json.value("step", json())}}},
        {"model",
         {{"architecture", p.run.model_config.architecture},
          {"description", p.run.model->describe()},
          {"parameters", p.run.model->num_parameters()},
          {"max_length", p.run.model_config.max_length}}},
        {"dataset",
         {{"path", fs::absolute(p.data_path).string()},
          {"content_sha256", info.content_sha256},
          {"source_files", parse_json_or(p.file_info.source_files_json, json::array())},
          {"task", task_name(info.task)},
          {"label_names", info.label_names},
          {"max_length", info.max_length},
          {"pad_id", info.pad_id},
          {"unk_id", info.unk_id},
          {"cls_id", info.cls_id},
          {"sep_id", info.sep_id},
          {"tokenizer_sha256", info.tokenizer_sha256.empty() ? sha256_hex(tok) : info.tokenizer_sha256},
          {"tokenizer_type", info.tokenizer_type},
          {"normalization", parse_json_or(info.normalization_json, json::object())},
          {"masking", parse_json_or(info.masking_json, json::object())},
          {"pretrained_tokenizer", pretrained}}},
        {"opset", graph.opset},
        {"ir_version", onnx_graph::kIrVersion},
        {"verification", verification},
        {"example", example},
    };
    if (p.run_json.contains("best")) summary["run"]["best"] = p.run_json["best"];
    write_file_atomic((tmp / "export.json").string(), summary.dump(2) + "\n");
    write_file_atomic((tmp / "README.md").string(), model_card(summary));

    // Into place: the old directory (with --force) goes only once the new one is complete.
    fs::create_directories(out.parent_path().empty() ? fs::path(".") : out.parent_path());
    if (fs::exists(out)) {
      const fs::path old = out.string() + ".old";
      fs::remove_all(old, ec);
      fs::rename(out, old);
      fs::rename(tmp, out);
      fs::remove_all(old, ec);
    } else {
      fs::rename(tmp, out);
    }
    return summary;
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

json verify_export(const ExportRequest& req) {
  check_request(req);
  const fs::path dir = req.out_dir;
  const std::string model_path = (dir / "model.onnx").string();
  if (!fs::exists(model_path)) throw UserError(model_path + ": not found; pass the directory kd export onnx wrote");
  Prepared p = prepare(req);
  LatencyStats torch_lat;
  ReferenceOutputs ref = reference_with_latency(p, req, &torch_lat);
  // The reference goes to a temporary folder: verification writes nothing into the export.
  const fs::path work = fs::temp_directory_path() / ("zl-verify-" + std::to_string(::getpid()));
  fs::create_directories(work);
  std::error_code ec;
  try {
    const std::string ref_path = (work / "reference.h5").string(), out_json = (work / "verify.json").string();
    write_reference_file(ref_path, ref, p.run.info, torch_lat);
    json result = run_verify(verify_args(req, p, model_path, ref_path, out_json, false), out_json);
    fs::remove_all(work, ec);
    return result;
  } catch (...) {
    fs::remove_all(work, ec);
    throw;
  }
}

}  // namespace zl
