#include "run_training.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <tuple>

#include "atomic_file.h"
#include "checkpoint.h"
#include "checksum.h"
#include "distributed.h"
#include "pretrained_init.h"
#include "run_dir.h"
#include "run_json.h"
#include "signals.h"
#include "split_rows.h"
#include "stale_temp_files.h"
#include "threads.h"

namespace zl {

namespace fs = std::filesystem;

void add_run_options(CLI::App& app, RunRequest& req) {
  app.add_option("--data", req.data_path, "prepared dataset (HDF5 from `kd data prepare`); on --resume defaults to the run's dataset");
  app.add_option("--model", req.model_path,
                 "model preset (configs/models/*.yaml); omit when the config has a `model:` section, or on --resume");
  app.add_option("--config", req.config_path, "training config (configs/train/*.yaml); on --resume defaults to RUN_DIR/config.yaml");
  app.add_option("--out", req.out_dir, "run directory to create (or to continue with --resume)")->required();
  app.add_option("--set", req.overrides, "override a config value: model.hidden=128, train.lr=3e-4 (repeatable)");
  app.add_flag("--resume", req.resume, "continue the run in --out exactly where it stopped");
  app.add_option("--device", req.device, "auto | cpu | cuda")->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  app.add_option("--threads", req.threads, "CPU threads for LibTorch (sets train.threads; default every core this process may use)")->check(CLI::NonNegativeNumber);
  app.add_option("--nproc", req.nproc,
                 "data-parallel: run N ranks on this machine (Gloo on CPU, NCCL on GPUs; or launch with torchrun)")
      ->check(CLI::PositiveNumber);
}

torch::Device resolve_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name == "cuda") {
    if (!torch::cuda::is_available())
      throw UserError("--device cuda: no CUDA device is available on this machine (use --device cpu or auto)");
    return torch::kCUDA;
  }
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  throw UserError("--device " + name + ": choose auto, cpu or cuda");
}

namespace {

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// Keys that may change between an interrupted run and its resumption without
// changing what is computed (how long this invocation runs, how it reports).
const std::vector<std::pair<std::string, std::string>> kVolatileKeys = {
    {"train", "max_steps_this_invocation"}, {"train", "threads"}, {"train", "progress"},
    {"train", "log_every"},                 {"train", "checkpoint_every"}};

// Keys added after runs already existed, with their defaults: hashed only when set
// otherwise, so a checkpoint written before they existed still resumes.
const std::vector<std::tuple<std::string, std::string, std::string>> kLaterKeys = {
    {"train", "layer_lr_decay", "1"}, {"train", "freeze_embeddings", "false"},
    {"train", "head_lr_multiplier", "1"}};

std::string config_hash(const YAML::Node& resolved, const DatasetInfo& info) {
  YAML::Node copy = YAML::Clone(resolved);
  for (const auto& [sec, key] : kVolatileKeys)
    if (copy[sec] && copy[sec].IsMap()) copy[sec].remove(key);
  for (const auto& [sec, key, def] : kLaterKeys)
    if (copy[sec] && copy[sec].IsMap() && copy[sec][key] && YAML::Dump(copy[sec][key]) == def) copy[sec].remove(key);
  YAML::Emitter e;
  e << copy;
  return sha256_hex(std::string(e.c_str()) + "\ndata:" + info.content_sha256);
}

struct RunJson {
  nlohmann::json j;
  std::string path;
  bool enabled = true;  // data-parallel: rank 0 only
  void write() {
    if (enabled) write_file_atomic(path, j.dump(2) + "\n");
  }
};

}  // namespace

int run_training(const RunRequest& req_in, const HooksFactory& hooks_factory) {
  RunRequest req = req_in;
  // --nproc N: this process becomes the launcher of N ranks (each runs this function again).
  if (int status = dist::maybe_launch_local(req.nproc); status >= 0) return status;
  const dist::DistEnv denv = dist::env_from_environment();
  const auto t_start = std::chrono::steady_clock::now();
  if (req.out_dir.empty()) throw UserError("--out is required: the run directory to write");
  const std::string run_dir = req.out_dir;
  // Temporary files of an earlier invocation killed (SIGKILL) mid-write: removed before
  // anything here writes (a hook, e.g. kd distill's distill.json, writes early).
  if (denv.rank == 0) remove_stale_temp_files(run_dir);
  // torchrun --max-restarts reruns the very command that failed: a restarted group
  // (TORCHELASTIC_RESTART_COUNT > 0) continues from the checkpoint the failed one left.
  if (const char* rc = std::getenv("TORCHELASTIC_RESTART_COUNT");
      !req.resume && rc && std::atoi(rc) > 0 && file_exists(run_dir + "/checkpoint.pt")) {
    if (denv.rank == 0)
      std::cerr << "torchrun restart " << rc << ": continuing " << run_dir << " from its checkpoint (as --resume)"
                << std::endl;
    req.resume = true;
  }
  const bool has_run = file_exists(run_dir + "/run.json") || file_exists(run_dir + "/checkpoint.pt");
  if (!req.resume && has_run)
    throw UserError(run_dir + " already holds a run: continue it with --resume, or choose another --out");
  if (req.resume && !file_exists(run_dir + "/checkpoint.pt"))
    throw UserError(run_dir + "/checkpoint.pt does not exist: there is nothing to resume (run without --resume)");

  // Dataset path: on resume, default to the one the run used.
  if (req.data_path.empty() && req.resume) {
    const std::string p = run_dir + "/dataset.json";
    if (!file_exists(p))
      throw UserError(p + " does not exist: pass the run's dataset with --data to resume");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_file(p));
    } catch (const nlohmann::json::exception& e) {
      throw UserError(p + " is damaged (not valid JSON: " + std::string(e.what()) +
                      "): pass the run's dataset with --data to resume");
    }
    if (!j.is_object() || !j.contains("path") || !j["path"].is_string())
      throw UserError(p + " has no dataset path (written by another version?): pass the run's dataset with --data");
    req.data_path = j["path"].get<std::string>();
  }
  if (req.data_path.empty()) throw UserError("--data is required: a prepared dataset file (kd data prepare)");

  // Configs. The model preset and the training config stay separate files (errors
  // name the right file and line); `--set model.x=...` goes to the model preset.
  std::vector<std::string> model_over, train_over;
  for (const auto& o : req.overrides) {
    if (!req.model_path.empty() && o.rfind("model.", 0) == 0) model_over.push_back(o.substr(6));
    else train_over.push_back(o);
  }
  if (req.threads > 0) train_over.push_back("train.threads=" + std::to_string(req.threads));
  std::string config_path = req.config_path;
  if (config_path.empty() && req.resume && req.model_path.empty()) config_path = run_dir + "/config.yaml";
  Config tcfg = config_path.empty() ? Config::empty("(default training config)", train_over)
                                    : Config::load_file(config_path, train_over);
  std::unique_ptr<Config> mcfg_file;
  if (!req.model_path.empty()) {
    mcfg_file = std::make_unique<Config>(Config::load_file(req.model_path, model_over));
    if (tcfg.has("model"))
      throw UserError(config_path + ": has a model section and --model " + req.model_path +
                      " was given too: use one of them");
  } else if (!tcfg.has("model")) {
    throw UserError("no model: pass --model configs/models/NAME.yaml or add a model section to the config");
  }
  Config mcfg = mcfg_file ? *mcfg_file : tcfg.child("model");
  ModelConfig mc = ModelConfig::from_config(mcfg);
  if (mcfg_file) mcfg_file->check_unknown_keys();
  TrainConfig tc = TrainConfig::from_config(tcfg.child("train"));

  // Data.
  DatasetInfo info = read_dataset_info(req.data_path);
  auto has_split = [&](const std::string& s) {
    return std::find(info.split_names.begin(), info.split_names.end(), s) != info.split_names.end();
  };
  std::string have;
  for (const auto& s : info.split_names) have += (have.empty() ? "" : ", ") + s;
  if (!has_split(tc.train_split))
    throw UserError(req.data_path + ": no split '" + tc.train_split + "' (the file has: " + have +
                    "); set train.train_split");
  // Data-parallel runs read only each rank's rows (split_rows.h); so do their hooks
  // (kd distill reads its rank's teacher logits through TrainerHooks::row_extra).
  std::shared_ptr<SplitRowReader> train_reader;
  SplitData train;
  if (denv.enabled())
    train_reader = std::make_shared<SplitRowReader>(req.data_path, tc.train_split);
  else
    train = read_split(req.data_path, tc.train_split);
  const bool any_label = train_reader ? train_reader->any_gold_label()
                         : info.task == Task::kMultiLabel
                             ? !train.multi_hot.empty()
                             : std::any_of(train.labels.begin(), train.labels.end(), [](int32_t l) { return l >= 0; });
  if (!train_reader && train.size() == 0)
    throw UserError(req.data_path + ": split '" + tc.train_split + "' has 0 examples, nothing to train on; prepare "
                    "the data again (kd data prepare refuses an empty split) or set train.train_split");
  if (!any_label && !hooks_factory)
    throw UserError(req.data_path + ": split '" + tc.train_split + "' has no gold labels; kd train needs labels");
  std::unique_ptr<SplitData> dev;
  if (tc.dev_split != "none") {
    if (!has_split(tc.dev_split))
      throw UserError(req.data_path + ": no split '" + tc.dev_split + "' for evaluation (the file has: " + have +
                      "); set train.dev_split, or train.dev_split=none to train without evaluation");
    dev = std::make_unique<SplitData>(read_split(req.data_path, tc.dev_split));
    // An empty dev split would make every evaluation (and early stopping) a score of nothing.
    if (dev->size() == 0)
      throw UserError(req.data_path + ": split '" + tc.dev_split + "' has 0 examples, nothing to evaluate on; "
                      "prepare the data again with a non-empty dev split (inputs.split.dev_from_train: 0.1 carves "
                      "one out of train), or set train.dev_split=none to train a fixed budget without evaluation");
  }

  // Device, threads, seed, model.
  torch::Device device = resolve_device(req.device);
  // Data-parallel: one GPU per rank (LOCAL_RANK), then the rendezvous. Every rank
  // has passed the checks above before rank 0 writes anything below.
  if (denv.enabled() && device.is_cuda()) {
    device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(denv.local_rank));
    dist::set_current_device(device);
  }
  auto pg = dist::ProcessGroup::create(denv, device);
  const bool main_rank = pg->is_main();
  // Threads (threads.h): train.threads / --threads, default every core this process may
  // use; the ranks of a local data-parallel run share the cores instead of each taking all.
  int64_t threads = tc.threads;
  if (threads == 0 && denv.enabled())
    if (const char* lws = std::getenv("LOCAL_WORLD_SIZE"); lws && std::atoll(lws) > 1)
      threads = std::max<int64_t>(1, available_cores() / std::atoll(lws));
  configure_threads(threads);
  torch::manual_seed(tc.seed);
  if (device.is_cuda()) torch::cuda::manual_seed_all(tc.seed);
  Classifier model = build_model(mc, info);
  nlohmann::json pretrained;  // where a pretrained encoder's weights came from (new runs; run.json keeps it)
  if (!req.resume) {
    pretrained = load_pretrained_weights(*model, mc, info);
    init_from_run(*model, mc, info);
  }
  model->to(device);

  TrainerHooks hooks;
  if (hooks_factory) hooks = hooks_factory(RunContext{tcfg, info, train, dev.get(), model, device, run_dir, train_reader});
  if (hooks.extra_module) hooks.extra_module->to(device);
  tcfg.check_unknown_keys();

  // The resolved config: the model section plus every section of the training config.
  YAML::Node resolved(YAML::NodeType::Map);
  resolved["model"] = YAML::Clone(mcfg.node());
  const YAML::Node sections = tcfg.node();
  for (const std::string& k : tcfg.keys())
    if (k != "model") resolved[k] = YAML::Clone(sections[k]);
  YAML::Emitter em;
  em << resolved;
  const std::string resolved_text = std::string(em.c_str()) + "\n";
  const std::string hash = config_hash(resolved, info);

  if (main_rank) std::cerr << "model: " << model->describe() << "  parameters: " << model->num_parameters() << " total, "
            << model->num_non_embedding_parameters() << " non-embedding" << std::endl;
  if (main_rank) std::cerr << "data: " << req.data_path << " (" << task_name(info.task) << ", " << info.label_names.size()
            << " labels, " << (train_reader ? static_cast<size_t>(train_reader->size()) : train.size()) << " train" << (dev ? ", " + std::to_string(dev->size()) + " " + tc.dev_split : "")
            << ")  device: " << device.str() << "  threads: " << torch::get_num_threads() << std::endl;
  if (info.max_length > mc.max_length && main_rank)
    std::cerr << "note: the dataset allows " << info.max_length << " tokens; inputs are truncated to model.max_length "
              << mc.max_length << std::endl;

  // A resume must match the checkpoint's config before anything in the run directory is rewritten.
  if (req.resume) {
    const std::string h = checkpoint_config_hash(run_dir + "/checkpoint.pt");
    if (h != hash)
      throw UserError(run_dir + "/checkpoint.pt was written for a different model/data/training config (config hash " +
                      h.substr(0, 12) + ", now " + hash.substr(0, 12) +
                      "): resume with the run's own config.yaml (omit --model/--config), or start a new --out");
  }

  // Run directory: everything needed to evaluate or export later.
  if (main_rank) {  // data-parallel: rank 0 writes the run directory
    std::error_code ec;
    fs::create_directories(run_dir, ec);
    if (ec) throw UserError("cannot create run directory " + run_dir + ": " + ec.message());
    write_file_atomic(run_dir + "/config.yaml", resolved_text);
    write_file_atomic(run_dir + "/labels.json", nlohmann::json(info.label_names).dump(2) + "\n");
    write_file_atomic(run_dir + "/dataset.json", dataset_info_json(info, fs::absolute(req.data_path).string()));
    const std::string tok = read_tokenizer_model(req.data_path);
    if (!tok.empty()) write_file_atomic(run_dir + "/tokenizer.model", tok);
  }

  RunJson rj;
  rj.path = run_dir + "/run.json";
  rj.enabled = main_rank;
  if (req.resume && file_exists(rj.path)) rj.j = read_run_json(rj.path);
  if (!rj.j.contains("run_id")) {
    std::string base = fs::path(run_dir).filename().string();
    if (base.empty()) base = fs::path(run_dir).parent_path().filename().string();
    rj.j["run_id"] = base + "-" + hash.substr(0, 8) + "-" + std::to_string(std::time(nullptr));
    rj.j["created_at"] = utc_now();
  }
  rj.j["command"] = "kd " + req.command;
  rj.j["status"] = "running";
  rj.j["started_at"] = utc_now();
  rj.j["device"] = device.str();
  rj.j["threads"] = torch::get_num_threads();
  rj.j["thread_settings"] = thread_settings_json();
  rj.j["seed"] = tc.seed;
  rj.j["model"] = model->describe();
  rj.j["architecture"] = mc.architecture;
  if (!pretrained.is_null()) rj.j["pretrained"] = pretrained;
  rj.j["parameters"] = {{"total", model->num_parameters()}, {"non_embedding", model->num_non_embedding_parameters()}};
  rj.j["dataset"] = {{"path", fs::absolute(req.data_path).string()}, {"content_sha256", info.content_sha256}};
  rj.j["config_sha256"] = hash;
  rj.j["world_size"] = pg->world_size();
  rj.j["toolkit_version"] = ZL_VERSION;
  rj.write();

  TrainerSetup setup;
  setup.model = model;
  setup.cfg = tc;
  setup.info = info;
  setup.train = train_reader ? nullptr : &train;
  setup.train_reader = train_reader;
  setup.process_group = pg;
  setup.dev = dev.get();
  setup.device = device;
  setup.run_dir = run_dir;
  setup.config_hash = hash;
  setup.hooks = hooks;
  Trainer trainer(std::move(setup));
  if (req.resume) trainer.resume();

  TrainStatus st;
  try {
    st = trainer.run();
  } catch (...) {
    rj.j["status"] = "failed";
    rj.j["step"] = trainer.step();
    rj.write();
    throw;
  }
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  rj.j["step"] = trainer.step();
  rj.j["elapsed_s_last_invocation"] = elapsed;
  rj.j["elapsed_s_total"] = rj.j.value("elapsed_s_total", 0.0) + elapsed;
  rj.j["best"] = {{"metric", tc.metric},
                  {"value", std::isnan(trainer.best_metric()) ? nlohmann::json(nullptr) : nlohmann::json(trainer.best_metric())},
                  {"step", trainer.best_step()},
                  {"split", tc.dev_split}};
  int code = 0;
  switch (st) {
    case TrainStatus::kFinished: rj.j["status"] = "finished"; break;
    case TrainStatus::kEarlyStopped:
      rj.j["status"] = "finished";
      rj.j["early_stopped"] = true;
      break;
    case TrainStatus::kPaused: rj.j["status"] = "paused"; break;
    case TrainStatus::kInterrupted:
      rj.j["status"] = "interrupted";
      code = 128 + stop_signal();
      break;
    case TrainStatus::kNaN:
      rj.j["status"] = "failed";
      rj.j["failure"] = "non-finite loss after step " + std::to_string(trainer.step());
      code = kUserErrorExit;
      break;
  }
  if (st == TrainStatus::kFinished || st == TrainStatus::kEarlyStopped) rj.j["finished_at"] = utc_now();
  rj.write();
  if (!main_rank) return code;
  if (st == TrainStatus::kNaN)
    std::cerr << "kd " << req.command << ": error: non-finite loss at step " << trainer.step() + 1
              << "; last good checkpoint kept in " << run_dir << "/checkpoint.pt" << std::endl;
  else
    std::cerr << "run " << rj.j["status"].get<std::string>() << " at step " << trainer.step() << "; run directory "
              << run_dir << std::endl;
  return code;
}

}  // namespace zl
