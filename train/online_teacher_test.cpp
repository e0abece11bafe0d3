// distill.online_teacher: running the teacher every step gives the same training as
// distilling from its cached teacher file (same loss inputs up to float rounding),
// also when the teacher reads its own tokenization of the same texts.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "atomic_file.h"
#include "distill.h"
#include "distill_testing.h"
#include "error.h"
#include "run_dir.h"
#include "run_training.h"
#include "synthetic_data_testing.h"
#include "teacher_file.h"
#include "teacher_predict.h"

namespace {

using zl::testing::distill_error_of;

// The same examples (ids, texts, labels, order) under "another tokenizer": content ids
// permuted, a larger vocabulary, another tokenizer checksum.
std::string retokenized_copy(const std::string& data, const std::string& out) {
  zl::DatasetInfo info = zl::read_dataset_info(data);
  std::vector<zl::SplitData> splits;
  for (const auto& name : info.split_names) {
    zl::SplitData s = zl::read_split(data, name, /*with_text=*/true);
    for (auto& id : s.input_ids)
      if (id >= 4) id = static_cast<int32_t>(4 + (id - 4 + 7) % (info.vocab_size - 4)) + 5;
    splits.push_back(std::move(s));
  }
  info.vocab_size += 5;
  info.tokenizer_sha256 = "synthetic-other";
  zl::write_dataset_file(out, info, splits, "other-tokenizer-bytes");
  return out;
}

std::vector<nlohmann::json> train_events(const std::string& run_dir) {
  std::ifstream f(run_dir + "/metrics.jsonl");
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(f, line);) {
    auto j = nlohmann::json::parse(line);
    if (j.value("event", "") == "train") out.push_back(j);
  }
  return out;
}

struct Fixture {
  std::string dir, data, tdata, teacher, teacher_file, student_model, config;
};

const Fixture& fixture() {
  static Fixture f = [] {
    Fixture x;
    x.dir = zl::testing::make_temp_dir("online_teacher");
    zl::testing::SyntheticOptions o;
    o.train = 96;
    o.dev = 32;
    x.data = zl::testing::write_synthetic_dataset(x.dir, "student", o);
    x.tdata = retokenized_copy(x.data, x.dir + "/teacher_tok.h5");
    zl::write_file_atomic(x.dir + "/teacher.yaml",
                          "architecture: transformer\nlayers: 2\nhidden: 32\nheads: 4\nffn: 64\nmax_length: 32\n");
    zl::write_file_atomic(x.dir + "/teacher_train.yaml",
                          "train:\n  seed: 1\n  threads: 1\n  batch_size: 16\n  max_steps: 20\n  lr: 2.0e-3\n"
                          "  log_every: 100\n  progress: lines\n");
    zl::RunRequest t;
    t.data_path = x.tdata;
    t.model_path = x.dir + "/teacher.yaml";
    t.config_path = x.dir + "/teacher_train.yaml";
    t.out_dir = x.teacher = x.dir + "/teacher";
    t.device = "cpu";
    if (zl::run_training(t) != 0) throw std::runtime_error("teacher training failed");
    zl::TeacherPredictRequest p;
    p.runs = {x.teacher};
    p.data_path = x.tdata;
    p.splits = {"train"};
    p.out_path = x.teacher_file = x.dir + "/teacher.h5";
    p.device = "cpu";
    p.sentence = true;
    zl::predict_teacher(p);
    x.student_model = x.dir + "/student.yaml";
    zl::write_file_atomic(x.student_model,
                          "architecture: transformer\nlayers: 1\nhidden: 16\nheads: 2\nffn: 32\nmax_length: 24\n"
                          "dropout: 0.1\n");
    x.config = x.dir + "/distill.yaml";
    zl::write_file_atomic(x.config,
                          "train:\n  seed: 5\n  threads: 1\n  batch_size: 16\n  max_steps: 8\n  lr: 2.0e-3\n"
                          "  log_every: 2\n  progress: lines\n  dev_split: none\n"
                          "distill:\n  alpha: 0.5\n  temperature: 2.0\n  sentence_weight: 0.5\n");
    return x;
  }();
  return f;
}

zl::DistillRequest request(const std::string& out, std::vector<std::string> teachers, std::vector<std::string> sets) {
  const Fixture& f = fixture();
  zl::DistillRequest r;
  r.run.data_path = f.data;
  r.run.model_path = f.student_model;
  r.run.config_path = f.config;
  r.run.out_dir = f.dir + "/" + out;
  r.run.device = "cpu";
  r.run.overrides = std::move(sets);
  r.teachers = std::move(teachers);
  return r;
}

TEST(OnlineTeacher, TeacherOutputsEqualTheCachedFile) {
  const Fixture& f = fixture();
  zl::LoadedRun t = zl::load_run(f.teacher, "best");
  zl::DatasetInfo info = zl::read_dataset_info(f.tdata);
  zl::SplitData split = zl::read_split(f.tdata, "train");
  std::vector<int64_t> rows{5, 0, 17, 3, 40, 41, 90};  // mixed lengths: padding differs from the file's batches
  zl::Batch b = zl::make_batch(split, info.task, 3, info.pad_id, rows, t.model->config().max_length);
  torch::NoGradGuard ng;
  zl::ModelOutput o = t.model->forward(b);
  zl::TeacherSplit ts = zl::read_teacher_split(f.teacher_file, "train");
  for (size_t i = 0; i < rows.size(); ++i)
    for (int64_t k = 0; k < 3; ++k)
      EXPECT_NEAR(o.logits[static_cast<int64_t>(i)][k].item<float>(), ts.values[static_cast<size_t>(rows[i] * 3 + k)], 1e-5);
}

TEST(OnlineTeacher, TrainsLikeTheCachedTeacherFileAcrossTokenizers) {
  const Fixture& f = fixture();
  ASSERT_EQ(zl::run_distill(request("cached", {f.teacher_file}, {})), 0);
  ASSERT_EQ(zl::run_distill(request("online", {}, {"distill.online_teacher=" + f.teacher,
                                                    "distill.online_teacher_data=" + f.tdata})),
            0);
  auto a = train_events(f.dir + "/cached"), b = train_events(f.dir + "/online");
  ASSERT_EQ(a.size(), 4u);
  ASSERT_EQ(b.size(), a.size());
  for (size_t i = 0; i < a.size(); ++i)
    for (const char* k : {"loss", "kd", "ce", "sentence_mse"}) {
      ASSERT_TRUE(b[i].contains(k)) << k;
      const double x = a[i][k].get<double>(), y = b[i][k].get<double>();
      EXPECT_NEAR(x, y, 1e-4 * std::max(1.0, std::abs(x))) << k << " at log " << i;
    }
  // The students end with (nearly) the same weights after 8 steps. Adam divides each
  // update by the gradient's running RMS, so a parameter whose true gradient is ~0 (the
  // attention key bias: softmax ignores a constant shift) moves by float noise amplified
  // up to lr (2e-3) per step; differing teachers would move weights by ~1e-2.
  zl::LoadedRun sa = zl::load_run(f.dir + "/cached", "final"), sb = zl::load_run(f.dir + "/online", "final");
  auto pa = sa.model->named_parameters(), pb = sb.model->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& kv : pa)
    EXPECT_TRUE(torch::allclose(kv.value(), pb[kv.key()], 1e-3, 2e-4))
        << kv.key() << ": max difference " << (kv.value() - pb[kv.key()]).abs().max().item<double>();
  auto rec = nlohmann::json::parse(zl::read_file(f.dir + "/online/distill.json"));
  EXPECT_EQ(rec["teacher_logits"], "online");
  EXPECT_EQ(rec["online_teacher"]["checkpoint_sha256"].get<std::string>(), zl::load_run(f.teacher, "best").weights_sha256);
}

// distill.copy_source_weight with the online teacher: it also runs on the copies' source
// rows (which the batch does not hold) and mixes its outputs as a cached file's are mixed.
TEST(OnlineTeacher, CopySourceWeightTrainsLikeTheCachedTeacherFile) {
  const Fixture& f = fixture();
  const std::string data = f.dir + "/student_copies.h5";
  ASSERT_GT(zl::testing::write_with_transfer_copies(f.data, data), 0);
  const std::string tdata = retokenized_copy(data, f.dir + "/teacher_tok_copies.h5");
  zl::TeacherPredictRequest p;
  p.runs = {f.teacher};
  p.data_path = tdata;
  p.splits = {"train"};
  p.out_path = f.dir + "/teacher_copies.h5";
  p.device = "cpu";
  p.sentence = true;
  zl::predict_teacher(p);
  auto with_data = [&](zl::DistillRequest r) {
    r.run.data_path = data;
    return r;
  };
  const std::string w = "distill.copy_source_weight=0.5";
  ASSERT_EQ(zl::run_distill(with_data(request("cached_w05", {p.out_path}, {w}))), 0);
  ASSERT_EQ(zl::run_distill(with_data(request("online_w05", {}, {w, "distill.online_teacher=" + f.teacher,
                                                                 "distill.online_teacher_data=" + tdata}))),
            0);
  ASSERT_EQ(zl::run_distill(with_data(request("online_w0", {}, {"distill.online_teacher=" + f.teacher,
                                                                "distill.online_teacher_data=" + tdata}))),
            0);
  auto a = train_events(f.dir + "/cached_w05"), b = train_events(f.dir + "/online_w05"),
       c = train_events(f.dir + "/online_w0");
  ASSERT_EQ(a.size(), 4u);
  ASSERT_EQ(b.size(), a.size());
  ASSERT_EQ(c.size(), a.size());
  double moved = 0;  // how far weight 0 is from weight 0.5: the mixture is really applied
  for (size_t i = 0; i < a.size(); ++i)
    for (const char* k : {"loss", "kd", "sentence_mse"}) {
      const double x = a[i][k].get<double>(), y = b[i][k].get<double>();
      EXPECT_NEAR(x, y, 1e-4 * std::max(1.0, std::abs(x))) << k << " at log " << i;
      moved = std::max(moved, std::abs(c[i][k].get<double>() - x));
    }
  EXPECT_GT(moved, 1e-3);
  auto rec = nlohmann::json::parse(zl::read_file(f.dir + "/online_w05/distill.json"));
  EXPECT_EQ(rec["transfer_copies"]["copy_source_weight"].get<double>(), 0.5);
}

TEST(OnlineTeacher, BadRequestsAreUserErrors) {
  const Fixture& f = fixture();
  // The teacher run's tokenizer differs from the student's dataset: its own data is needed.
  EXPECT_NE(distill_error_of(request("e1", {}, {"distill.online_teacher=" + f.teacher})).find("online_teacher_data"),
            std::string::npos);
  EXPECT_NE(distill_error_of(request("e2", {f.teacher_file}, {"distill.online_teacher=" + f.teacher})).find("both given"),
            std::string::npos);
  EXPECT_NE(distill_error_of(request("e3", {}, {})).find("--teacher is required"), std::string::npos);
  // Different texts (another synthetic draw) under the teacher's tokenizer.
  zl::testing::SyntheticOptions o;
  o.train = 96;
  o.seed = 9;
  const std::string other = retokenized_copy(zl::testing::write_synthetic_dataset(f.dir, "other", o), f.dir + "/other_tok.h5");
  EXPECT_NE(distill_error_of(request("e4", {}, {"distill.online_teacher=" + f.teacher, "distill.online_teacher_data=" + other}))
                .find("does not hold the same texts"),
            std::string::npos);
}

}  // namespace
