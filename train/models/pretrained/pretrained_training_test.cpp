// kd train with architecture pretrained, end to end on a synthetic dataset that
// looks prepared with a tiny checkpoint's tokenizer: it trains, records where the
// weights came from, resumes exactly, reloads after the checkpoint directory is
// gone; layer-wise lr decay and frozen embeddings do what they say.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "checksum.h"
#include "hf_checkpoint.h"
#include "pretrained_init.h"
#include "pretrained_testing.h"
#include "run_dir.h"
#include "run_training_test_util.h"

namespace zl {
namespace {


nlohmann::json run_json(const std::string& dir) { return nlohmann::json::parse(read_file(dir + "/run.json")); }

std::string error_of(const RunRequest& r) {
  try {
    run_training(r);
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

struct PretrainedRun {
  testing::SmallRun s;
  std::string checkpoint;
  testing::TinyCheckpoint c;
};

PretrainedRun pretrained_run(const std::string& tag, testing::TinyCheckpoint c = {}, const std::string& extra = "dropout: 0.1\n") {
  PretrainedRun p;
  p.c = c;
  p.s = testing::small_run(tag);  // its training config; model and data replaced below
  p.checkpoint = testing::write_tiny_checkpoint(p.s.dir + "/checkpoint", c);
  testing::SyntheticOptions o;
  o.train = 120;
  o.dev = 40;
  p.s.data = testing::write_pretrained_dataset(p.s.dir, "pretrained-data", c, o);
  write_file_atomic(p.s.model, "architecture: pretrained\ncheckpoint: " + p.checkpoint + "\n" + extra);
  return p;
}

void expect_same_weights(const std::string& a_dir, const std::string& b_dir) {
  auto a = load_run(a_dir, "final"), b = load_run(b_dir, "final");
  auto pa = a.model->named_parameters(), pb = b.model->named_parameters();
  ASSERT_GT(pa.size(), 10u);
  for (auto& kv : pa) EXPECT_TRUE(torch::equal(kv.value(), pb[kv.key()])) << kv.key();
}

// The weights a new run starts from: the same seed, model and checkpoint as run_training.
Classifier initial_model(const PretrainedRun& p, const std::string& run_dir) {
  LoadedRun r = load_run(run_dir, "final");
  torch::manual_seed(Config::load_file(run_dir + "/config.yaml").child("train").get<uint64_t>("seed", 0));
  auto m = build_model(r.model_config, r.info);
  load_pretrained_weights(*m, r.model_config, read_dataset_info(p.s.data));
  return m;
}

TEST(PretrainedTraining, TrainsRecordsProvenanceAndReloadsWithoutTheCheckpoint) {
  auto p = pretrained_run("pt-train");
  auto r = p.s.request("run", {"train.max_steps=100", "train.eval_every=25", "train.grad_accum=1", "train.lr=5e-3"});
  ASSERT_EQ(run_training(r), 0);
  auto j = run_json(r.out_dir);
  EXPECT_EQ(j["architecture"], "pretrained");
  EXPECT_EQ(j["pretrained"]["dir"], p.checkpoint);
  EXPECT_EQ(j["pretrained"]["model_type"], "bert");
  EXPECT_EQ(j["pretrained"]["weights_file"], "model.safetensors");
  EXPECT_EQ(j["pretrained"]["weights_sha256"], sha256_file(p.checkpoint + "/model.safetensors"));
  EXPECT_EQ(j["pretrained"]["config_sha256"], sha256_hex(read_file(p.checkpoint + "/config.json")));
  EXPECT_CONTAINS(read_file(r.out_dir + "/config.yaml"), "checkpoint_config:");
  std::filesystem::remove_all(p.checkpoint);
  LoadedRun lr = load_run(r.out_dir, "best");
  SplitData dev = read_split(p.s.data, "dev");
  DevMetrics m = evaluate(*lr.model, dev, lr.info, 32, torch::kCPU, false);
  EXPECT_DOUBLE_EQ(m.accuracy, j["best"]["value"].get<double>());
  EXPECT_GT(m.accuracy, 0.8);  // chance is 1/3: the keyword rule was learned
}

TEST(PretrainedTraining, ResumesExactlyAlsoWithoutTheCheckpoint) {
  for (std::string opts : {"", "decay"}) {
    SCOPED_TRACE(opts);
    auto p = pretrained_run("pt-resume" + opts);
    std::vector<std::string> over;
    if (opts == "decay") over = {"train.layer_lr_decay=0.8", "train.freeze_embeddings=true"};
    ASSERT_EQ(run_training(p.s.request("full", over)), 0);
    auto split = over;
    split.push_back("train.max_steps_this_invocation=5");
    ASSERT_EQ(run_training(p.s.request("split", split)), 0);
    EXPECT_EQ(run_json(p.s.dir + "/split")["status"], "paused");
    std::filesystem::remove_all(p.checkpoint);  // a resume reads the run's own checkpoint.pt only
    RunRequest bare;
    bare.out_dir = p.s.dir + "/split";
    bare.resume = true;
    bare.device = "cpu";
    bare.overrides = {"train.max_steps_this_invocation=0"};
    ASSERT_EQ(run_training(bare), 0);
    EXPECT_EQ(run_json(p.s.dir + "/split")["status"], "finished");
    EXPECT_EQ(run_json(p.s.dir + "/split")["pretrained"]["model_type"], "bert");  // kept from the first invocation
    expect_same_weights(p.s.dir + "/full", p.s.dir + "/split");
  }
}

TEST(PretrainedTraining, LayerWiseLrDecayAndHeadMultiplierGiveEachDepthItsLr) {
  // (layer_lr_decay, head_lr_multiplier): decay alone, the head multiplier alone, both.
  for (auto [decay, head] : std::vector<std::pair<double, double>>{{0.5, 1.0}, {1.0, 20.0}, {0.5, 20.0}}) {
    SCOPED_TRACE("decay " + std::to_string(decay) + ", head x" + std::to_string(head));
    auto p = pretrained_run("pt-llrd-" + std::to_string(decay) + "-" + std::to_string(head), {},
                            "dropout: 0.0\nattention_dropout: 0.0\n");
    const double lr = 1e-3;
    auto r = p.s.request("run", {"train.max_steps=1", "train.grad_accum=1", "train.warmup_steps=0", "train.warmup_ratio=0",
                                 "train.schedule=constant", "train.weight_decay=0", "train.grad_clip=0",
                                 "train.lr=" + std::to_string(lr), "train.layer_lr_decay=" + std::to_string(decay),
                                 "train.head_lr_multiplier=" + std::to_string(head), "train.dev_split=none"});
    ASSERT_EQ(run_training(r), 0);
    auto before = initial_model(p, r.out_dir);
    auto after = load_run(r.out_dir, "final").model;
    // Adam's first step moves every parameter with a gradient by lr * g / (|g| + eps),
    // i.e. by its group's lr: the largest change in a tensor is that lr.
    const int64_t top = after->top_depth();
    ASSERT_EQ(top, 3);
    auto pb = before->named_parameters();
    int64_t at_top = 0;
    for (const auto& kv : after->named_parameters()) {
      // A key bias adds the same score to every key of a query: softmax ignores it, no gradient.
      if (kv.key().find("attention.self.key.bias") != std::string::npos) continue;
      const int64_t depth = after->parameter_depth(kv.key());
      at_top += depth >= top;
      const double expected = lr * std::pow(decay, static_cast<double>(top - std::min(depth, top))) * (depth >= top ? head : 1.0);
      const double moved = (kv.value() - pb[kv.key()]).abs().max().item<double>();
      EXPECT_NEAR(moved / expected, 1.0, 0.02) << kv.key() << " moved " << moved << ", expected " << expected;
    }
    EXPECT_GT(at_top, 0);  // the head (classifier.*) is at the top
  }
}

TEST(PretrainedTraining, FrozenEmbeddingsStayTheCheckpoints) {
  auto p = pretrained_run("pt-freeze");
  auto r = p.s.request("run", {"train.max_steps=4", "train.freeze_embeddings=true", "train.dev_split=none"});
  ASSERT_EQ(run_training(r), 0);
  auto before = initial_model(p, r.out_dir);
  auto after = load_run(r.out_dir, "final").model;
  auto pb = before->named_parameters();
  int64_t frozen = 0, trained = 0;
  for (const auto& kv : after->named_parameters()) {
    const bool same = torch::equal(kv.value(), pb[kv.key()]);
    if (kv.key().rfind("embeddings.", 0) == 0) {
      EXPECT_TRUE(same) << kv.key();
      ++frozen;
    } else {
      EXPECT_FALSE(same) << kv.key();
      ++trained;
    }
  }
  EXPECT_EQ(frozen, 5);
  EXPECT_GT(trained, 10);
}

TEST(PretrainedTraining, BadInputsAreUserErrorsAndWriteNothing) {
  auto p = pretrained_run("pt-errors");
  // A dataset whose tokenizer was trained here (no vocab_map).
  auto plain = p.s.request("plain");
  plain.data_path = testing::write_synthetic_dataset(p.s.dir, "plain");
  EXPECT_CONTAINS(error_of(plain), "prepare the data with tokenizer.pretrained: " + p.checkpoint);
  EXPECT_EQ(run_main("train", [&] { return run_training(plain); }), kUserErrorExit);
  // Another checkpoint's tokenizer (an XLM-R dataset for a BERT checkpoint).
  auto other = p.s.request("other");
  other.data_path = testing::write_pretrained_dataset(p.s.dir, "xlmr-data", testing::tiny_xlmr());
  EXPECT_CONTAINS(error_of(other), "prepared with a xlm-roberta tokenizer");
  // A broken checkpoint directory.
  auto missing = p.s.request("missing", {"model.checkpoint=" + p.s.dir + "/nowhere"});
  EXPECT_CONTAINS(error_of(missing), p.s.dir + "/nowhere is not a directory");
  const std::string st = p.checkpoint + "/model.safetensors";
  std::filesystem::resize_file(st, std::filesystem::file_size(st) - 500);
  auto cut = p.s.request("cut");
  EXPECT_CONTAINS(error_of(cut), st + ": truncated safetensors file");
  EXPECT_EQ(run_main("train", [&] { return run_training(cut); }), kUserErrorExit);
  for (auto d : {"plain", "other", "missing", "cut"}) EXPECT_FALSE(std::filesystem::exists(p.s.dir + "/" + d)) << d;
}

TEST(PretrainedTraining, PresetsReadTheirCheckpointFromTheEnvironment) {
  const std::string root = testing::make_temp_dir("pt-presets");
  auto x = testing::tiny_xlmr();
  x.layers = 4;
  x.max_positions = 130;  // the presets ask for max_length 128
  const std::string e5 = testing::write_tiny_checkpoint(root + "/e5", x);
  testing::TinyCheckpoint bc;
  bc.max_positions = 128;
  const std::string bert = testing::write_tiny_checkpoint(root + "/bert", bc);
  setenv("KD_E5_SMALL", e5.c_str(), 1);
  setenv("KD_BERT_BASE_CHINESE", bert.c_str(), 1);
  ModelConfig a = ModelConfig::from_config(Config::load_file("configs/models/e5_small.yaml"));
  EXPECT_EQ(a.hf.dir, e5);
  EXPECT_EQ(a.layers, 4);
  EXPECT_EQ(a.pooling, "mean");
  ModelConfig b = ModelConfig::from_config(Config::load_file("configs/models/e5_small_l3.yaml"));
  EXPECT_EQ(b.layer_ids, (std::vector<int64_t>{0, 1, 2}));
  ModelConfig c = ModelConfig::from_config(Config::load_file("configs/models/bert_base_chinese.yaml"));
  EXPECT_EQ(c.pooling, "pooler");
  EXPECT_EQ(c.hf.dir, bert);
  // Without KD_E5_SMALL the e5 presets fall back to the converted copy under $HOME.
  unsetenv("KD_E5_SMALL");
  const std::string home = std::getenv("HOME") ? std::getenv("HOME") : "";
  try {
    ModelConfig::from_config(Config::load_file("configs/models/e5_small.yaml"));
  } catch (const UserError& e) {
    EXPECT_CONTAINS(e.what(), home + "/.cache/zhengliu/models/multilingual-e5-small");
  }
  unsetenv("KD_BERT_BASE_CHINESE");
  try {
    ModelConfig::from_config(Config::load_file("configs/models/bert_base_chinese.yaml"));
    ADD_FAILURE() << "no error without KD_BERT_BASE_CHINESE";
  } catch (const UserError& e) {
    EXPECT_CONTAINS(e.what(), "uses ${KD_BERT_BASE_CHINESE}, which is not set");
  }
}

TEST(PretrainedTraining, RunsFromBeforeTheFineTuningKeysStillResume) {
  // A run directory written before train.layer_lr_decay / freeze_embeddings
  // existed has neither in its config.yaml; the config hash must not change.
  auto s = testing::small_run("pt-oldkeys");
  ASSERT_EQ(run_training(s.request("r", {"train.max_steps_this_invocation=3"})), 0);
  std::string cfg = read_file(s.dir + "/r/config.yaml"), stripped;
  std::istringstream in(cfg);
  for (std::string line; std::getline(in, line);)
    if (line.find("layer_lr_decay") == std::string::npos && line.find("freeze_embeddings") == std::string::npos)
      stripped += line + "\n";
  ASSERT_NE(stripped.size(), cfg.size());
  write_file_atomic(s.dir + "/r/config.yaml", stripped);
  RunRequest bare;
  bare.out_dir = s.dir + "/r";
  bare.resume = true;
  bare.device = "cpu";
  EXPECT_EQ(run_training(bare), 0);
  // Changing one of them does change the hash.
  auto changed = s.request("r", {"train.layer_lr_decay=0.9"});
  changed.resume = true;
  changed.model_path = "";
  changed.config_path = s.dir + "/r/config.yaml";
  EXPECT_CONTAINS(error_of(changed), "different model/data/training config");
}

}  // namespace
}  // namespace zl
