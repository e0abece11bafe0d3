// Writes the HDF5 seed files of the file fuzz targets (fuzz/corpus/dataset_file,
// fuzz/corpus/teacher_file): small dataset files of each task and teacher files
// (float32 and float16, logits and probs, with sentence vectors) made with our own
// writers, so the fuzzer starts from valid files and mutates their structure.
// Usage: make_fuzz_seeds OUT_DIR   (writes OUT_DIR/dataset_file/*, OUT_DIR/teacher_file/*
// and OUT_DIR/dataset.h5, the fixed dataset teacher_file_fuzz checks against).
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "dataset_file.h"
#include "teacher_file.h"

namespace {

zl::SplitData make_split(const std::string& name, zl::Task task, int n, int num_labels) {
  zl::SplitData s;
  s.name = name;
  for (int i = 0; i < n; ++i) {
    s.ids.push_back(name + ":" + std::to_string(i));
    std::vector<int32_t> tok{2, 10 + i, 3};
    if (task == zl::Task::kPair) tok.insert(tok.end(), {11, 3});
    s.input_ids.insert(s.input_ids.end(), tok.begin(), tok.end());
    s.offsets.push_back(s.offsets.back() + static_cast<int64_t>(tok.size()));
    if (task == zl::Task::kPair)
      for (size_t k = 0; k < tok.size(); ++k) s.segment_ids.push_back(k < 3 ? 0 : 1);
    if (task == zl::Task::kMultiLabel) {
      for (int j = 0; j < num_labels; ++j) s.multi_hot.push_back((i + j) % 2);
    } else {
      s.labels.push_back(i % num_labels);
    }
    s.text.push_back("退款 " + std::to_string(i));
    if (task == zl::Task::kPair) s.text_b.push_back("怎么退");
  }
  s.meta["channel"] = std::vector<std::string>(n, "app");
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_fuzz_seeds OUT_DIR\n";
    return 2;
  }
  namespace fs = std::filesystem;
  const fs::path out = argv[1];
  fs::create_directories(out / "dataset_file");
  fs::create_directories(out / "teacher_file");
  const std::vector<std::string> labels{"查询物流", "催发货", "退货退款"};
  const std::pair<zl::Task, const char*> tasks[] = {
      {zl::Task::kSingleLabel, "single"}, {zl::Task::kMultiLabel, "multi"}, {zl::Task::kPair, "pair"}};
  for (const auto& [task, name] : tasks) {
    zl::DatasetInfo info;
    info.task = task;
    info.label_names = labels;
    info.vocab_size = 30;
    info.max_length = 8;
    std::vector<zl::SplitData> splits{make_split("train", task, 3, 3), make_split("dev", task, 2, 3)};
    zl::write_dataset_file((out / "dataset_file" / (std::string(name) + ".h5")).string(), info, splits, "tok");
  }
  // The dataset the teacher files belong to (also the check's fixed dataset).
  zl::DatasetInfo info;
  info.label_names = labels;
  info.vocab_size = 30;
  info.max_length = 8;
  std::vector<zl::SplitData> splits{make_split("train", zl::Task::kSingleLabel, 3, 3),
                                    make_split("dev", zl::Task::kSingleLabel, 2, 3)};
  const std::string dataset = (out / "dataset.h5").string();
  zl::write_dataset_file(dataset, info, splits, "tok");
  const zl::DatasetInfo written = zl::read_dataset_info(dataset);
  for (int variant = 0; variant < 3; ++variant) {
    zl::TeacherInfo t;
    t.label_names = labels;
    t.dataset_sha256 = written.content_sha256;
    t.dataset_text_sha256 = written.text_sha256;
    t.teacher_run_id = "fuzz-seed";
    t.param_count = 1234;
    if (variant == 1) {
      t.kind = "probs";
      t.temperature = 2.0;
    }
    if (variant == 2) t.sentence_dim = 2;
    std::vector<zl::TeacherSplit> ts;
    for (const auto& d : splits) {
      zl::TeacherSplit s;
      s.name = d.name;
      s.ids = d.ids;
      s.num_labels = 3;
      for (size_t i = 0; i < d.ids.size(); ++i)
        for (int j = 0; j < 3; ++j) s.values.push_back(variant == 1 ? (j == 0 ? 0.5f : 0.25f) : 0.5f * j - 0.25f * i);
      if (t.sentence_dim > 0) s.sentence.assign(d.ids.size() * 2, 0.125f);
      ts.push_back(std::move(s));
    }
    const char* names[] = {"logits_f32.h5", "probs_f16.h5", "sentence_f32.h5"};
    zl::write_teacher_file((out / "teacher_file" / names[variant]).string(), t, ts,
                           variant == 1 ? "float16" : "float32");
  }
  std::cout << "seeds written under " << out.string() << "\n";
  return 0;
}
