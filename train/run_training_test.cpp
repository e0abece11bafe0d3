// `kd train` end to end on synthetic data: the run directory, load_run, learning
// above chance, and every bad input the issue lists.
#include "run_training.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "run_dir.h"
#include "run_training_test_util.h"

namespace zl {
namespace {

std::string error_of(const RunRequest& r, const HooksFactory& h = {}) {
  try {
    run_training(r, h);
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

#define EXPECT_CONTAINS(hay, needle) EXPECT_NE(std::string(hay).find(needle), std::string::npos) << (hay)

TEST(RunTraining, RunDirectoryAndLoadRun) {
  auto s = testing::small_run("rundir");
  auto r = s.request("run", {"train.max_steps=60", "train.eval_every=20", "train.grad_accum=1", "model.dropout=0.0"});
  ASSERT_EQ(run_training(r), 0);
  const std::string d = r.out_dir;
  for (auto f : {"config.yaml", "labels.json", "dataset.json", "tokenizer.model", "best.pt", "final.pt",
                 "checkpoint.pt", "metrics.jsonl", "run.json"})
    EXPECT_TRUE(file_exists(d + "/" + f)) << f;
  EXPECT_EQ(read_file(d + "/tokenizer.model"), "synthetic-tokenizer-bytes");
  auto run = nlohmann::json::parse(read_file(d + "/run.json"));
  EXPECT_EQ(run["status"], "finished");
  EXPECT_GT(run["parameters"]["non_embedding"].get<int64_t>(), 0);
  // The thread pools the run used (threads.h): the request's count, one inter-op thread.
  EXPECT_EQ(run["thread_settings"]["intra_op"].get<int64_t>(), torch::get_num_threads());
  EXPECT_GE(run["thread_settings"]["available_cores"].get<int64_t>(), 1);
  // The resolved config holds defaults too, and the override.
  Config cfg = Config::load_file(d + "/config.yaml");
  EXPECT_EQ(cfg.child("train").get<double>("weight_decay", -1), 0.01);
  EXPECT_EQ(cfg.child("model").get<double>("dropout", -1), 0.0);

  LoadedRun lr = load_run(d, "best");
  EXPECT_FALSE(lr.model->is_training());
  EXPECT_EQ(lr.info.label_names.size(), 3u);
  SplitData dev = read_split(s.data, "dev");
  DevMetrics m = evaluate(*lr.model, dev, lr.info, 32, torch::kCPU, false);
  EXPECT_DOUBLE_EQ(m.accuracy, run["best"]["value"].get<double>());
  EXPECT_GT(m.accuracy, 0.6);  // chance is 1/3: the keyword rule was learned
}

TEST(RunTraining, ConfigErrors) {
  auto s = testing::small_run("errors");
  EXPECT_CONTAINS(error_of(s.request("e1", {"model.heads=3"})), "must divide hidden");
  EXPECT_CONTAINS(error_of(s.request("e2", {"train.lr=-1"})), "train.lr must be a positive learning rate");
  EXPECT_CONTAINS(error_of(s.request("e3", {"train.batch_size=0"})), "train.batch_size must be a positive");
  EXPECT_CONTAINS(error_of(s.request("e4", {"train.lrr=1"})), "did you mean 'train.lr'");
  EXPECT_CONTAINS(error_of(s.request("e5", {"model.head=pair"})), "does not match the dataset's task 'single_label'");
  EXPECT_CONTAINS(error_of(s.request("e6", {"train.dev_split=validation"})), "no split 'validation'");
  EXPECT_CONTAINS(error_of(s.request("e7", {"train.schedule=cosin"})), "did you mean 'cosine'");
  auto r = s.request("e8");
  r.data_path = s.dir + "/missing.h5";
  EXPECT_NE(error_of(r), "(no error)");
  // Nothing was written for any of these.
  for (auto e : {"e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8"}) EXPECT_FALSE(file_exists(s.dir + "/" + e + "/run.json")) << e;
}

TEST(RunTraining, CudaRequestedButAbsent) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "CUDA is present on this machine";
  auto s = testing::small_run("cuda");
  auto r = s.request("c");
  r.device = "cuda";
  r.config_path = "";  // also: no training config at all (every default; no train section)
  EXPECT_CONTAINS(error_of(r), "no CUDA device is available");
}

TEST(RunTraining, ExistingRunNeedsResumeAndResumeNeedsSameConfig) {
  auto s = testing::small_run("resumecfg");
  ASSERT_EQ(run_training(s.request("r", {"train.max_steps_this_invocation=3"})), 0);
  EXPECT_CONTAINS(error_of(s.request("r")), "already holds a run");
  const std::string before = read_file(s.dir + "/r/config.yaml");
  auto r = s.request("r", {"train.lr=1e-3"});
  r.resume = true;
  EXPECT_CONTAINS(error_of(r), "different model/data/training config");
  EXPECT_EQ(read_file(s.dir + "/r/config.yaml"), before);  // nothing rewritten
  auto fresh = s.request("never");
  fresh.resume = true;
  EXPECT_CONTAINS(error_of(fresh), "nothing to resume");
  // Resuming from the run directory alone (its config.yaml and dataset.json) works.
  RunRequest bare;
  bare.out_dir = s.dir + "/r";
  bare.resume = true;
  bare.device = "cpu";
  EXPECT_EQ(run_training(bare), 0);
}

// torchrun --max-restarts reruns the same command line (without --resume): a
// restarted group continues from the checkpoint instead of refusing the directory.
TEST(RunTraining, TorchrunRestartContinuesFromTheCheckpoint) {
  auto s = testing::small_run("torchrun_restart");
  ASSERT_EQ(run_training(s.request("r", {"train.max_steps_this_invocation=5"})), 0);
  ASSERT_EQ(run_training(s.request("straight")), 0);
  ::setenv("TORCHELASTIC_RESTART_COUNT", "1", 1);
  const int status = run_training(s.request("r"));
  ::unsetenv("TORCHELASTIC_RESTART_COUNT");
  ASSERT_EQ(status, 0);
  EXPECT_EQ(read_file(s.dir + "/r/final.pt"), read_file(s.dir + "/straight/final.pt"));
  EXPECT_CONTAINS(error_of(s.request("r")), "already holds a run");  // without a restart: refused as before
}

TEST(RunTraining, NanLossStopsWithStatus2AndKeepsCheckpoint) {
  auto s = testing::small_run("nan");
  HooksFactory nan_at_5 = [](const RunContext& ctx) {
    TrainerHooks h;
    auto task = ctx.info.task;
    h.loss = [task](const Batch& b, const ModelOutput& o, int64_t step) {
      LossParts lp = gold_loss(task, b, o.logits, 0.0);
      if (step >= 5) lp.total = lp.total * std::numeric_limits<float>::quiet_NaN();
      return lp;
    };
    return h;
  };
  auto r = s.request("n", {"train.checkpoint_every=2"});
  EXPECT_EQ(run_training(r, nan_at_5), 2);
  auto run = nlohmann::json::parse(read_file(r.out_dir + "/run.json"));
  EXPECT_EQ(run["status"], "failed");
  EXPECT_EQ(run["step"], 5);
  EXPECT_TRUE(file_exists(r.out_dir + "/checkpoint.pt"));
  EXPECT_FALSE(file_exists(r.out_dir + "/final.pt"));
}

}  // namespace
}  // namespace zl
