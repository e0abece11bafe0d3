// End to end on smp2017_intent with a small budget: prepare (character
// vocabulary), train a teacher, kd teacher predict / check, one student without
// and one with distillation. Every run must finish with a finite loss and a dev
// accuracy far above chance (31 classes: 1/31 = 3%; always "chat" = 20%).
// Labels: slow, datasets (needs KD_DATASETS; skipped without it).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

std::string bin(const std::string& name) { return std::string(ZL_BIN_DIR) + "/" + name; }

int sh(const std::string& cmd) {
  std::cerr << "+ " << cmd << std::endl;
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// The run finished, its best dev accuracy is well above chance, and every logged loss is finite.
double check_run(const std::string& dir) {
  auto run = read_json(dir + "/run.json");
  EXPECT_EQ(run.value("status", ""), "finished") << run.dump(2);
  double acc = run["best"]["value"].is_number() ? run["best"]["value"].get<double>() : 0.0;
  std::ifstream m(dir + "/metrics.jsonl");
  std::string line;
  int losses = 0;
  while (std::getline(m, line)) {
    auto j = nlohmann::json::parse(line);
    if (j.contains("loss")) {
      ++losses;
      EXPECT_TRUE(j["loss"].is_number() && std::isfinite(j["loss"].get<double>())) << line;
    }
  }
  EXPECT_GT(losses, 0) << "no loss logged in " << dir << "/metrics.jsonl";
  return acc;
}

}  // namespace

TEST(DistillIntegration, Smp2017IntentTeacherPredictAndStudents) {
  const char* ds = std::getenv("KD_DATASETS");
  if (!ds || !*ds) GTEST_SKIP() << "KD_DATASETS is not set (e.g. /work/shared/datasets): skipping the smp2017_intent run";
  if (!fs::exists(std::string(ds) + "/smp2017_intent/train.jsonl"))
    GTEST_SKIP() << "KD_DATASETS=" << ds << " has no smp2017_intent/train.jsonl";
  const std::string src = ZL_SOURCE_DIR;
  const fs::path tmp = fs::temp_directory_path() / ("zl_distill_it_" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  const std::string t = tmp.string();
  const std::string data = t + "/smp.h5";

  ASSERT_EQ(sh(bin("kd") + " data prepare --config " + src + "/configs/datasets/smp2017_intent.yaml --out " + data +
               " --set tokenizer.type=char --quiet"),
            0);
  // Small models and budgets: this checks the pipeline, not the benchmark (docs/benchmarks-distill.md).
  write(t + "/teacher.yaml",
        "model: {architecture: transformer, layers: 2, hidden: 128, heads: 4, ffn: 256, max_length: 64, dropout: 0.1}\n"
        "train: {epochs: 4, batch_size: 32, lr: 0.001, warmup_ratio: 0.1, threads: 2, seed: 1, progress: lines}\n");
  write(t + "/student.yaml",
        "model: {architecture: transformer, layers: 1, hidden: 64, heads: 2, ffn: 128, max_length: 64, dropout: 0.1}\n"
        "train: {epochs: 4, batch_size: 32, lr: 0.002, warmup_ratio: 0.1, threads: 2, seed: 1, progress: lines}\n"
        "distill: {alpha: 0.7, temperature: 4}\n");
  ASSERT_EQ(sh(bin("kd") + " train --data " + data + " --config " + t + "/teacher.yaml --out " + t + "/teacher"), 0);
  const double teacher_acc = check_run(t + "/teacher");
  EXPECT_GT(teacher_acc, 0.5);

  ASSERT_EQ(sh(bin("kd") + " teacher predict --run " + t + "/teacher --data " + data +
               " --splits train,dev,test --out " + t + "/teacher.h5 --device cpu"),
            0);
  ASSERT_EQ(sh(bin("kd") + " teacher check " + t + "/teacher.h5 " + data), 0);

  // The student without distillation: kd train ignores nothing silently, so drop the distill section.
  write(t + "/student_plain.yaml",
        "model: {architecture: transformer, layers: 1, hidden: 64, heads: 2, ffn: 128, max_length: 64, dropout: 0.1}\n"
        "train: {epochs: 4, batch_size: 32, lr: 0.002, warmup_ratio: 0.1, threads: 2, seed: 1, progress: lines}\n");
  ASSERT_EQ(sh(bin("kd") + " train --data " + data + " --config " + t + "/student_plain.yaml --out " + t + "/plain"), 0);
  const double plain_acc = check_run(t + "/plain");
  EXPECT_GT(plain_acc, 0.4);

  ASSERT_EQ(sh(bin("kd") + " distill --data " + data + " --teacher " + t + "/teacher.h5 --config " + t +
               "/student.yaml --out " + t + "/kd"),
            0);
  const double kd_acc = check_run(t + "/kd");
  EXPECT_GT(kd_acc, 0.4);
  EXPECT_TRUE(fs::exists(t + "/kd/distill.json"));
  std::cerr << "dev accuracy: teacher " << teacher_acc << ", student " << plain_acc << ", distilled student " << kd_acc
            << std::endl;

  // The same inputs prepared with another tokenizer: the teacher file serves it (same texts,
  // rows aligned by id). A dataset from other texts (one changed line): refused, exit 2.
  ASSERT_EQ(sh(bin("kd") + " data prepare --config " + src + "/configs/datasets/smp2017_intent.yaml --out " + t +
               "/smp_unigram.h5 --set tokenizer.type=unigram --set tokenizer.vocab_size=3000 --quiet"),
            0);
  EXPECT_EQ(sh(bin("kd") + " teacher check " + t + "/teacher.h5 " + t + "/smp_unigram.h5"), 0);
  fs::create_directories(t + "/edited");
  for (const std::string f : {"train.jsonl", "dev.jsonl", "test.jsonl"}) {
    std::ifstream in(std::string(ds) + "/smp2017_intent/" + f);
    std::ofstream out(t + "/edited/" + f);
    std::string line;
    for (int i = 0; std::getline(in, line); ++i)
      out << (f == "train.jsonl" && i == 0 ? nlohmann::json{{"text", "这一行被改过了"}, {"label", "chat"}}.dump() : line)
          << "\n";
  }
  ASSERT_EQ(sh(bin("kd") + " data prepare --config " + src + "/configs/datasets/smp2017_intent.yaml --out " + t +
               "/smp_edited.h5 --set inputs.dir=" + t + "/edited --quiet"),
            0);
  EXPECT_EQ(sh(bin("kd") + " teacher check " + t + "/teacher.h5 " + t + "/smp_edited.h5"), 2);
  EXPECT_EQ(sh(bin("kd") + " distill --data " + t + "/smp_edited.h5 --teacher " + t + "/teacher.h5 --config " + t +
               "/student.yaml --out " + t + "/kd_stale"),
            2);
  EXPECT_FALSE(fs::exists(t + "/kd_stale/run.json"));
  fs::remove_all(tmp);
}
