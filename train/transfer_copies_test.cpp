// Transfer copies and distill.copy_source_weight: which rows are copies of which, and
// that weight 1 trains exactly like a teacher file whose copies hold their sources'
// outputs (the rewrite this option replaces), weight 0 like the plain file.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "atomic_file.h"
#include "distill.h"
#include "distill_testing.h"
#include "error.h"
#include "run_dir.h"
#include "synthetic_data_testing.h"
#include "teacher_file.h"
#include "transfer_copies.h"

namespace {

using zl::testing::distill_error_of;

TEST(CopySources, ParentIds) {
  EXPECT_EQ(zl::copy_parent_id("q17~noise3"), "q17");
  EXPECT_EQ(zl::copy_parent_id("q17~aug1"), "q17");
  EXPECT_EQ(zl::copy_parent_id("q17~noise3.2"), "q17");           // an id taken: ".m" added
  EXPECT_EQ(zl::copy_parent_id("a~noise1~aug2"), "a~noise1");     // a copy of a copy
  EXPECT_EQ(zl::copy_parent_id("q~noise"), "");                   // no copy number
  EXPECT_EQ(zl::copy_parent_id("q~noisy1"), "");
  EXPECT_EQ(zl::copy_parent_id("q~noise1x"), "");
  EXPECT_EQ(zl::copy_parent_id("q~noise1."), "");
  EXPECT_EQ(zl::copy_parent_id("~noise1"), "");                   // nothing before the suffix
  EXPECT_EQ(zl::copy_parent_id("plain-id"), "");
}

TEST(CopySources, RootsOrphansAndPlainRows) {
  const std::vector<std::string> ids{"a", "b", "a~noise1", "a~noise1~aug2", "b~aug1.2", "c~noise1", "x~y"};
  zl::CopySources cs = zl::find_copy_sources(ids);
  EXPECT_EQ(cs.source, (std::vector<int64_t>{0, 1, 0, 0, 1, 5, 6}));
  EXPECT_EQ(cs.copies, 3);
  EXPECT_EQ(cs.orphans, 1);  // c~noise1: no row "c"
  EXPECT_EQ(cs.orphan_example, "c~noise1");
}

struct Fixture {
  std::string dir, data, plain_data, teacher, teacher_srcfilled, plain_teacher, model, config;
  int64_t copies = 0;
};

constexpr int64_t kLabels = 3, kSentence = 6;

zl::TeacherSplit random_outputs(const zl::SplitData& s, std::mt19937& rng) {
  std::normal_distribution<float> g(0.f, 2.f);
  zl::TeacherSplit t;
  t.name = s.name;
  t.ids = s.ids;
  t.num_labels = kLabels;
  for (size_t i = 0; i < s.size() * kLabels; ++i) t.values.push_back(g(rng));
  for (size_t i = 0; i < s.size() * kSentence; ++i) t.sentence.push_back(g(rng));
  return t;
}

void write_teacher(const std::string& path, const std::string& data, const std::vector<zl::TeacherSplit>& splits) {
  const zl::DatasetInfo di = zl::read_dataset_info(data);
  zl::TeacherInfo ti;
  ti.label_names = di.label_names;
  ti.dataset_sha256 = di.content_sha256;
  ti.dataset_text_sha256 = di.text_sha256;
  ti.dataset_path = data;
  ti.teacher_run_id = "synthetic-teacher";
  ti.sentence_dim = kSentence;
  std::vector<zl::TeacherSplit> out = splits;
  for (auto& t : out) t.dataset_text_sha256 = di.split_text_sha256.count(t.name) ? di.split_text_sha256.at(t.name) : "";
  zl::write_teacher_file(path, ti, out);
}

const Fixture& fixture() {
  static Fixture f = [] {
    Fixture x;
    x.dir = zl::testing::make_temp_dir("transfer_copies");
    zl::testing::SyntheticOptions o;
    o.train = 64;
    o.dev = 16;
    x.plain_data = zl::testing::write_synthetic_dataset(x.dir, "plain", o);
    // Copies as kd data augment writes them: unlabelled, "<id>~noise<k>", tokens perturbed.
    x.data = x.dir + "/with_copies.h5";
    x.copies = zl::testing::write_with_transfer_copies(x.plain_data, x.data);

    std::mt19937 rng(7);
    zl::SplitData train = zl::read_split_labels(x.data, "train");
    zl::TeacherSplit t = random_outputs(train, rng);
    x.teacher = x.dir + "/teacher.h5";
    write_teacher(x.teacher, x.data, {t});
    // The same file with every copy's outputs replaced by its source row's.
    zl::CopySources cs = zl::find_copy_sources(train.ids);
    zl::TeacherSplit filled = t;
    for (size_t i = 0; i < train.size(); ++i) {
      const size_t s = static_cast<size_t>(cs.source[i]);
      std::copy_n(t.values.begin() + s * kLabels, kLabels, filled.values.begin() + i * kLabels);
      std::copy_n(t.sentence.begin() + s * kSentence, kSentence, filled.sentence.begin() + i * kSentence);
    }
    x.teacher_srcfilled = x.dir + "/teacher_srcfilled.h5";
    write_teacher(x.teacher_srcfilled, x.data, {filled});
    x.plain_teacher = x.dir + "/plain_teacher.h5";
    write_teacher(x.plain_teacher, x.plain_data, {random_outputs(zl::read_split_labels(x.plain_data, "train"), rng)});

    x.model = x.dir + "/student.yaml";
    zl::write_file_atomic(x.model,
                          "architecture: transformer\nlayers: 1\nhidden: 16\nheads: 2\nffn: 32\nmax_length: 24\n"
                          "dropout: 0.1\n");
    x.config = x.dir + "/distill.yaml";
    zl::write_file_atomic(x.config,
                          "train:\n  seed: 3\n  threads: 1\n  batch_size: 16\n  max_steps: 10\n  lr: 2.0e-3\n"
                          "  log_every: 5\n  progress: lines\n  dev_split: none\n"
                          "distill:\n  alpha: 0.5\n  temperature: 2.0\n  sentence_weight: 0.5\n");
    return x;
  }();
  return f;
}

zl::DistillRequest request(const std::string& out, const std::string& data, const std::string& teacher,
                           std::vector<std::string> sets) {
  const Fixture& f = fixture();
  zl::DistillRequest r;
  r.run.data_path = data;
  r.run.model_path = f.model;
  r.run.config_path = f.config;
  r.run.out_dir = f.dir + "/" + out;
  r.run.device = "cpu";
  r.run.overrides = std::move(sets);
  r.teachers = {teacher};
  return r;
}

// Largest absolute difference over all parameters of two runs' final weights.
double max_weight_difference(const std::string& a, const std::string& b) {
  zl::LoadedRun ra = zl::load_run(a, "final"), rb = zl::load_run(b, "final");
  auto pa = ra.model->named_parameters(), pb = rb.model->named_parameters();
  EXPECT_EQ(pa.size(), pb.size());
  double m = 0;
  for (const auto& kv : pa) m = std::max(m, (kv.value() - pb[kv.key()]).abs().max().item<double>());
  return m;
}

TEST(CopySourceWeight, OneEqualsATeacherFileHoldingTheSourcesOutputs) {
  const Fixture& f = fixture();
  ASSERT_EQ(zl::run_distill(request("src_w1", f.data, f.teacher, {"distill.copy_source_weight=1"})), 0);
  ASSERT_EQ(zl::run_distill(request("filled_w0", f.data, f.teacher_srcfilled, {})), 0);
  EXPECT_EQ(max_weight_difference(f.dir + "/src_w1", f.dir + "/filled_w0"), 0.0);
  auto rec = nlohmann::json::parse(zl::read_file(f.dir + "/src_w1/distill.json"));
  EXPECT_EQ(rec["transfer_copies"]["copies"].get<int64_t>(), f.copies);
  EXPECT_EQ(rec["transfer_copies"]["copy_source_weight"].get<double>(), 1.0);
}

TEST(CopySourceWeight, HalfIsNeitherEnd) {
  const Fixture& f = fixture();
  ASSERT_EQ(zl::run_distill(request("own_w0", f.data, f.teacher, {})), 0);
  ASSERT_EQ(zl::run_distill(request("mix_w05", f.data, f.teacher, {"distill.copy_source_weight=0.5"})), 0);
  if (!zl::file_exists(f.dir + "/filled_w0/run.json"))
    ASSERT_EQ(zl::run_distill(request("filled_w0", f.data, f.teacher_srcfilled, {})), 0);
  EXPECT_GT(max_weight_difference(f.dir + "/mix_w05", f.dir + "/own_w0"), 1e-4);
  EXPECT_GT(max_weight_difference(f.dir + "/mix_w05", f.dir + "/filled_w0"), 1e-4);
}

TEST(CopySourceWeight, RefusedWithoutCopiesOrOutOfRange) {
  const Fixture& f = fixture();
  const std::string e1 = distill_error_of(request("e1", f.plain_data, f.plain_teacher, {"distill.copy_source_weight=0.5"}));
  EXPECT_NE(e1.find("has no transfer copies"), std::string::npos) << e1;
  EXPECT_NE(e1.find(f.plain_data), std::string::npos) << e1;
  const std::string e2 = distill_error_of(request("e2", f.data, f.teacher, {"distill.copy_source_weight=1.5"}));
  EXPECT_NE(e2.find("copy_source_weight"), std::string::npos) << e2;
  EXPECT_FALSE(zl::file_exists(f.dir + "/e1/run.json"));
}

}  // namespace
