// End-to-end tests of `kd export onnx`: tiny models trained for a few steps on
// synthetic data (every architecture and head), exported, and checked by ONNX
// Runtime through scripts/verify_onnx.py (the real parity check, not a mock).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "atomic_file.h"
#include "checksum.h"
#include "dataset_file.h"
#include "error.h"
#include "export_pipeline.h"
#include "process.h"
#include "run_training.h"
#include "pretrained_testing.h"
#include "synthetic_data_testing.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace zl {
namespace {

std::string python() { return resolve_python(""); }

struct Case {
  std::string architecture;
  Task task;
  std::vector<std::string> model_overrides;
};

// Trains a tiny model for a few steps on a synthetic dataset; returns the run directory.
std::string make_run(const std::string& dir, const Case& c) {
  zl::testing::SyntheticOptions o;
  o.task = c.task;
  o.train = 64;
  o.dev = 150;
  o.min_len = 1;  // one-token sentences: shorter than TextCNN's widest kernel
  o.max_len = 20;
  o.num_labels = 3;
  std::string data;
  // max_length 24 < the data's 43: truncation is part of what is checked.
  std::string model = "architecture: " + c.architecture + "\n  dropout: 0.1\n  max_length: 24\n";
  std::vector<std::string> overrides = c.model_overrides;
  if (c.architecture == "pretrained") {
    // A tiny random checkpoint (BERT, or XLM-R with "#xlmr") and a dataset that looks
    // prepared with its tokenizer (vocab map with two added placeholder rows).
    auto x = std::find(overrides.begin(), overrides.end(), "#xlmr");
    const bool xlmr = x != overrides.end();
    if (xlmr) overrides.erase(x);
    const zl::testing::TinyCheckpoint ck = xlmr ? zl::testing::tiny_xlmr() : zl::testing::TinyCheckpoint{};
    zl::testing::write_tiny_checkpoint(dir + "/checkpoint", ck);
    data = zl::testing::write_pretrained_dataset(dir, "data", ck, o);
    model += "  checkpoint: " + dir + "/checkpoint\n";
  } else {
    data = zl::testing::write_synthetic_dataset(dir, "data", o);
  }
  if (c.architecture == "transformer")
    model += "  layers: 2\n  hidden: 16\n  heads: 2\n  ffn: 32\n";
  else if (c.architecture == "bilstm")
    model += "  embedding_dim: 12\n  lstm_hidden: 10\n";
  else if (c.architecture == "textcnn")
    model += "  embedding_dim: 12\n  filters: 6\n  kernel_sizes: [2, 3, 5]\n";
  for (const auto& ov : overrides) model += "  " + ov + "\n";
  write_file_atomic(dir + "/train.yaml", "model:\n  " + model +
                                             "train:\n  max_steps: 6\n  batch_size: 16\n  eval_every: 3\n"
                                             "  log_every: 3\n  warmup_steps: 1\n  lr: 0.01\n  progress: lines\n");
  RunRequest req;
  req.data_path = data;
  req.config_path = dir + "/train.yaml";
  req.out_dir = dir + "/run";
  req.device = "cpu";
  EXPECT_EQ(run_training(req), 0);
  return req.out_dir;
}

ExportRequest request(const std::string& run, const std::string& out) {
  ExportRequest r;
  r.run_dir = run;
  r.out_dir = out;
  r.split = "dev";
  return r;
}

class ExportEachArchitectureAndHead : public ::testing::TestWithParam<Case> {};

TEST_P(ExportEachArchitectureAndHead, ParityHoldsWithOnnxRuntime) {
  const Case& c = GetParam();
  const std::string dir = zl::testing::make_temp_dir("export_" + c.architecture);
  const std::string run = make_run(dir, c);
  const std::string out = dir + "/export";
  json s = run_export(request(run, out));
  const auto& par = s["verification"]["parity"];
  EXPECT_TRUE(par["passed"].get<bool>());
  EXPECT_LE(par["max_abs_logit_diff"].get<double>(), 1e-4);
  EXPECT_GE(par["prediction_agreement"].get<double>(), 0.999);
  EXPECT_EQ(par["onnx_correct"], par["torch_correct"]);
  EXPECT_EQ(s["verification"]["examples"].get<int64_t>(), 150);
  for (const char* f : {"model.onnx", "tokenizer.model", "labels.json", "README.md", "export.json"})
    EXPECT_TRUE(fs::exists(out + "/" + f)) << f;
  EXPECT_FALSE(fs::exists(out + "/.reference.h5"));
  EXPECT_FALSE(fs::exists(out + ".tmp"));
  EXPECT_GE(s["verification"]["fp32"]["latency"]["runs"].get<int64_t>(), 200);
  EXPECT_GE(s["verification"]["torch_latency"]["runs"].get<int64_t>(), 200);

  // Metadata round trip: read back with the Python onnx package.
  EXPECT_EQ(run_process({python(), std::string(ZL_SOURCE_DIR) + "/eval/onnx/check_export_metadata.py", out}), 0);
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(
    AllArchitectures, ExportEachArchitectureAndHead,
    ::testing::Values(Case{"transformer", Task::kSingleLabel, {}},
                      Case{"transformer", Task::kMultiLabel, {"pooling: mean"}},
                      Case{"transformer", Task::kPair, {}},
                      Case{"bilstm", Task::kSingleLabel, {}},
                      Case{"bilstm", Task::kMultiLabel, {}},
                      Case{"bilstm", Task::kPair, {"lstm_layers: 2"}},
                      Case{"textcnn", Task::kSingleLabel, {}},
                      Case{"textcnn", Task::kMultiLabel, {}},
                      Case{"textcnn", Task::kPair, {}},
                      // Pretrained encoders (whole tiny checkpoints and a cut-down student).
                      Case{"pretrained", Task::kSingleLabel, {}},
                      Case{"pretrained", Task::kPair, {"layers: 1"}},
                      Case{"pretrained", Task::kMultiLabel, {"#xlmr"}},
                      Case{"pretrained", Task::kSingleLabel, {"#xlmr", "pooling: cls"}}),
    [](const auto& info) {
      std::string name = info.param.architecture + "_" +
                         (info.param.task == Task::kPair ? "pair" : info.param.task == Task::kMultiLabel ? "multi" : "single");
      for (const auto& o : info.param.model_overrides)
        if (o == "#xlmr") name += "_xlmr";
        else if (o == "pooling: cls") name += "_cls";
      return name;
    });

class ExportFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = zl::testing::make_temp_dir("export_misc");
    run_ = make_run(dir_, Case{"bilstm", Task::kSingleLabel, {}});
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static std::string dir_, run_;
};
std::string ExportFixture::dir_, ExportFixture::run_;

TEST_F(ExportFixture, APerturbedWeightFailsParityAndLeavesNothing) {
  auto req = request(run_, dir_ + "/perturbed");
  req.graph_hook = [](onnx_graph::Model& m) {
    for (auto& init : m.initializers)
      if (init.name.rfind("classifier.bias", 0) == 0) init.floats[0] += 0.01f;  // one weight, 100x the tolerance
  };
  try {
    run_export(req);
    FAIL() << "a perturbed classifier bias passed the parity check";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("parity check FAILED"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir_ + "/perturbed"));
  EXPECT_FALSE(fs::exists(dir_ + "/perturbed.tmp"));
}

TEST_F(ExportFixture, Int8GateAcceptsAndRejects) {
  auto accept = request(run_, dir_ + "/int8_ok");
  accept.int8 = true;
  accept.int8_max_drop = 100.0;
  json a = run_export(accept);
  EXPECT_TRUE(a["verification"]["int8"]["kept"].get<bool>());
  EXPECT_TRUE(fs::exists(dir_ + "/int8_ok/model.int8.onnx"));
  EXPECT_GT(a["verification"]["int8"]["size_bytes"].get<int64_t>(), 0);
  EXPECT_LT(a["verification"]["int8"]["size_bytes"].get<int64_t>(),
            a["verification"]["fp32"]["size_bytes"].get<int64_t>());

  // Accuracy can only drop by <= 100 points, so a gate of -200 rejects any model.
  auto reject = request(run_, dir_ + "/int8_no");
  reject.int8 = true;
  reject.int8_max_drop = -200.0;
  json r = run_export(reject);
  EXPECT_FALSE(r["verification"]["int8"]["kept"].get<bool>());
  EXPECT_FALSE(fs::exists(dir_ + "/int8_no/model.int8.onnx"));
  EXPECT_TRUE(fs::exists(dir_ + "/int8_no/model.onnx"));  // fp32 export still complete
  std::ifstream card(dir_ + "/int8_no/README.md");
  std::string text((std::istreambuf_iterator<char>(card)), {});
  EXPECT_NE(text.find("rejected"), std::string::npos);
}

TEST_F(ExportFixture, RefusesAnExistingDirectoryUnlessForced) {
  fs::create_directories(dir_ + "/exists");
  write_file_atomic(dir_ + "/exists/keep.txt", "x");
  EXPECT_THROW(run_export(request(run_, dir_ + "/exists")), UserError);
  EXPECT_TRUE(fs::exists(dir_ + "/exists/keep.txt"));
  auto forced = request(run_, dir_ + "/exists");
  forced.force = true;
  run_export(forced);
  EXPECT_TRUE(fs::exists(dir_ + "/exists/model.onnx"));
  EXPECT_FALSE(fs::exists(dir_ + "/exists/keep.txt"));
  // The command line says so with exit status 2.
  EXPECT_EQ(run_process({std::string(ZL_BIN_DIR) + "/kd-export", "onnx", "--run", run_, "--out", dir_ + "/exists",
                         "--split", "dev"}),
            2);
}

TEST_F(ExportFixture, BadRunDirectoriesAreClearErrors) {
  EXPECT_THROW(run_export(request(dir_ + "/no_such_run", dir_ + "/x1")), UserError);
  // An unfinished run.
  const std::string unfinished = dir_ + "/unfinished";
  fs::copy(run_, unfinished, fs::copy_options::recursive);
  auto rj = json::parse(read_file(unfinished + "/run.json"));
  rj["status"] = "paused";
  write_file_atomic(unfinished + "/run.json", rj.dump());
  EXPECT_THROW(run_export(request(unfinished, dir_ + "/x2")), UserError);
  // Corrupt weights.
  const std::string corrupt = dir_ + "/corrupt";
  fs::copy(run_, corrupt, fs::copy_options::recursive);
  write_file_atomic(corrupt + "/best.pt", "not a checkpoint");
  EXPECT_THROW(run_export(request(corrupt, dir_ + "/x3")), UserError);
  // No weights at all.
  fs::remove(corrupt + "/best.pt");
  EXPECT_THROW(run_export(request(corrupt, dir_ + "/x4")), UserError);
  for (const char* d : {"/x1", "/x2", "/x3", "/x4", "/x1.tmp", "/x2.tmp", "/x3.tmp", "/x4.tmp"})
    EXPECT_FALSE(fs::exists(dir_ + d)) << d;
}

TEST_F(ExportFixture, AnArchitectureWithoutExporterIsRefused) {
  const std::string other = dir_ + "/other_arch";
  fs::copy(run_, other, fs::copy_options::recursive);
  std::string cfg = read_file(other + "/config.yaml");
  const auto pos = cfg.find("architecture: bilstm");
  ASSERT_NE(pos, std::string::npos);
  cfg.replace(pos, 20, "architecture: gru");
  write_file_atomic(other + "/config.yaml", cfg);
  try {
    run_export(request(other, dir_ + "/x5"));
    FAIL() << "exported an unknown architecture";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("gru"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir_ + "/x5"));
}

TEST_F(ExportFixture, MissingOnnxRuntimeIsAClearError) {
  auto req = request(run_, dir_ + "/x6");
  req.python = "/nonexistent/python3";
  try {
    run_export(req);
    FAIL() << "exported without a Python";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("ONNX Runtime missing"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir_ + "/x6"));
  EXPECT_FALSE(fs::exists(dir_ + "/x6.tmp"));
}

TEST_F(ExportFixture, VerifyRechecksAnExport) {
  run_export(request(run_, dir_ + "/to_verify"));
  auto req = request(run_, dir_ + "/to_verify");
  json v = verify_export(req);
  EXPECT_TRUE(v["parity"]["passed"].get<bool>());
}

}  // namespace
}  // namespace zl

namespace zl {
namespace {

// A prepared dataset with a real sentencepiece tokenizer (trained by the Python
// package), so that the model card's snippet can tokenize raw text.
std::string write_spm_dataset(const std::string& dir) {
  const std::string js = dir + "/spm.json";
  EXPECT_EQ(run_process({resolve_python(""), std::string(ZL_SOURCE_DIR) + "/eval/onnx/make_spm_dataset_testing.py", js, "7"}), 0);
  json d = json::parse(read_file(js));
  DatasetInfo info;
  info.task = Task::kSingleLabel;
  info.label_names = d["labels"].get<std::vector<std::string>>();
  info.max_length = 16;  // some sentences are longer: truncation is part of what the snippet must reproduce
  info.vocab_size = d["vocab_size"].get<int64_t>();
  info.tokenizer_type = "unigram";
  const std::string tok = read_file(js + ".model");
  info.tokenizer_sha256 = sha256_hex(tok);
  info.normalization_json = R"({"nfkc":true,"collapse_whitespace":true,"remove_control":true,"t2s":false})";
  info.masking_json = R"({"enabled":true,"email":true,"phone":true,"id":true,"card":true,"tel":true,"order":true,"order_min_digits":10})";
  info.source_files_json = "[\"make_spm_dataset_testing.py\"]";
  std::vector<SplitData> splits;
  for (const char* name : {"train", "dev", "test"}) {
    SplitData s;
    s.name = name;
    for (const auto& r : d["splits"][name]) {
      auto ids = r["input_ids"].get<std::vector<int32_t>>();
      if (ids.size() > 16) {  // kd-data's truncation: [CLS] + first 14 + [SEP]
        ids.resize(15);
        ids.push_back(3);
      }
      s.ids.push_back(r["id"].get<std::string>());
      s.input_ids.insert(s.input_ids.end(), ids.begin(), ids.end());
      s.offsets.push_back(static_cast<int64_t>(s.input_ids.size()));
      s.labels.push_back(r["label"].get<int32_t>());
      s.text.push_back(r["text"].get<std::string>());
    }
    splits.push_back(std::move(s));
  }
  write_dataset_file(dir + "/data.h5", info, splits, tok);
  return dir + "/data.h5";
}

TEST(ModelCard, PythonSnippetRunsAsWrittenAndClassifiesLikeTheToolkit) {
  const std::string dir = zl::testing::make_temp_dir("export_snippet");
  const std::string data = write_spm_dataset(dir);
  write_file_atomic(dir + "/train.yaml",
                    "model:\n  architecture: transformer\n  max_length: 12\n  layers: 1\n  hidden: 32\n  heads: 2\n"
                    "  ffn: 64\ntrain:\n  max_steps: 40\n  batch_size: 16\n  eval_every: 20\n  log_every: 20\n"
                    "  lr: 0.003\n  progress: lines\n");
  RunRequest rr;
  rr.data_path = data;
  rr.config_path = dir + "/train.yaml";
  rr.out_dir = dir + "/run";
  rr.device = "cpu";
  ASSERT_EQ(run_training(rr), 0);
  ExportRequest req;
  req.run_dir = rr.out_dir;
  req.out_dir = dir + "/export";
  json s = run_export(req);

  // The card's first ```python block, exactly as a deployer would copy it.
  const std::string card = read_file(req.out_dir + "/README.md");
  const auto a = card.find("```python\n");
  ASSERT_NE(a, std::string::npos);
  const auto b = card.find("\n```", a + 10);
  write_file_atomic(dir + "/snippet.py", card.substr(a + 10, b - a - 10 + 1));
  ASSERT_EQ(run_process({"/bin/sh", "-c",
                         "cd '" + req.out_dir + "' && '" + resolve_python("") + "' '" + dir +
                             "/snippet.py' > '" + dir + "/printed.txt'"}),
            0);
  std::string printed = read_file(dir + "/printed.txt");
  while (!printed.empty() && (printed.back() == '\n' || printed.back() == '\r')) printed.pop_back();
  EXPECT_EQ(printed, s["example"]["label_text"].get<std::string>());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace zl
