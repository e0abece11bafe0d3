// The whole `kd train` command as a library function, so `kd distill` reuses it:
// configs, run directory, dataset, model, trainer, signals, exit status.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config.h"
#include "dataset_file.h"
#include "model.h"
#include "trainer.h"

namespace CLI {
class App;
}

namespace zl {

struct RunRequest {
  std::string data_path;
  std::string model_path;   // model preset; "" = the config file has a `model:` section
  std::string config_path;  // training config (sections: train, and e.g. distill)
  std::string out_dir;
  std::vector<std::string> overrides;  // --set k=v: model.* go to the model config, the rest to the training config
  bool resume = false;
  std::string device = "auto";  // auto | cpu | cuda
  int64_t threads = 0;          // 0 = train.threads from the config
  std::string command = "train";  // for messages and run.json
  int nproc = 1;                  // --nproc: launch this many local data-parallel ranks (docs/distributed.md)
};

// Adds --data --model --config --out --set --resume --device --threads --nproc to a CLI11 app.
void add_run_options(CLI::App& app, RunRequest& req);

// What an extension sees once configs, data and model are ready (before training).
struct RunContext {
  const Config& config;  // the training config root: read your own section (e.g. child("distill"))
  const DatasetInfo& info;
  const SplitData& train;  // empty when the split is read row by row (train_reader set)
  const SplitData* dev;
  Classifier model;
  torch::Device device;
  std::string run_dir;
  // Data-parallel runs read the train split row by row (split_rows.h) and leave
  // `train` empty: a hook that needs per-row data sets TrainerHooks::row_extra.
  std::shared_ptr<SplitRowReader> train_reader;
};
using HooksFactory = std::function<TrainerHooks(const RunContext&)>;

// Runs a training command; returns the exit status (0 finished/early-stopped or
// paused, 130 SIGINT, 143 SIGTERM, 2 NaN loss). Throws UserError for bad input.
int run_training(const RunRequest& req, const HooksFactory& hooks = {});

// torch::Device for --device auto|cpu|cuda (UserError when cuda is requested but absent).
torch::Device resolve_device(const std::string& name);

}  // namespace zl
