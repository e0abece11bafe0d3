// `kd teacher`: write (predict) or verify (check) a teacher-output file (docs/teacher-files.md).
#include <CLI/CLI.hpp>

#include <iostream>
#include <sstream>

#include "error.h"
#include "teacher_file.h"
#include "teacher_predict.h"

namespace {
std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "kd teacher: write or verify a teacher-output file\n\n"
      "examples:\n"
      "  kd teacher predict --run runs/teacher --data runs/smp.h5 --splits train,dev,test --out runs/smp_teacher.h5\n"
      "  kd teacher predict --run runs/t1 --run runs/t2 --run runs/t3 --data runs/smp.h5 --out runs/ens.h5 --dtype float16\n"
      "  kd teacher check runs/smp_teacher.h5 runs/smp.h5"};
  app.require_subcommand(1);

  zl::TeacherPredictRequest req;
  std::string splits = "train,dev,test";
  auto* predict = app.add_subcommand("predict", "run trained teachers over dataset splits and write a teacher file");
  predict->add_option("--run", req.runs, "teacher run directory (kd train --out); repeat for an ensemble")->required();
  predict->add_option("--data", req.data_path, "prepared dataset (kd data prepare)")->required();
  predict->add_option("--splits", splits, "comma-separated splits (default train,dev,test)");
  predict->add_option("--out", req.out_path, "teacher file to write (HDF5)")->required();
  predict->add_option("--dtype", req.dtype, "stored logits type: float32 | float16")
      ->check(CLI::IsMember({"float32", "float16"}));
  predict->add_option("--weights", req.which, "which weights of each run: best | final")
      ->check(CLI::IsMember({"best", "final"}));
  predict->add_option("--device", req.device, "auto | cpu | cuda")->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  predict->add_option("--batch-size", req.batch_size, "examples per batch (default 256)");
  predict->add_option("--threads", req.threads, "CPU threads for LibTorch (0 = default)");
  predict->add_flag("--sentence", req.sentence,
                    "also store each example's sentence representation (what the head reads) for "
                    "distill.sentence_weight; one --run only");

  std::string teacher_path, data_path, required;
  auto* check = app.add_subcommand("check", "verify that a teacher file matches a prepared dataset (exit 2 if not)");
  check->add_option("TEACHER", teacher_path, "teacher file (HDF5)")->required();
  check->add_option("DATASET", data_path, "prepared dataset (HDF5)")->required();
  check->add_option("--require", required, "comma-separated splits that must be present (e.g. train)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : zl::kUserErrorExit;
  }
  if (*predict) {
    req.splits = split_commas(splits);
    return zl::run_main("teacher predict", [&] {
      zl::predict_teacher(req);
      return 0;
    });
  }
  return zl::run_main("teacher check", [&] {
    zl::check_teacher_file(teacher_path, data_path, split_commas(required));
    auto info = zl::read_teacher_info(teacher_path);
    const bool same_file =
        zl::teacher_dataset_relation(info, zl::read_dataset_info(data_path)) == zl::TeacherDataset::kSameFile;
    std::cout << "OK: " << teacher_path << " matches " << data_path << " ("
              << (same_file ? "" : "computed on a dataset with the same texts and another tokenizer; rows aligned by id; ")
              << "schema v" << info.format_version << ", " << info.source << " teacher " << info.teacher_run_id
              << ", kind " << info.kind << ", " << info.label_names.size() << " labels";
    if (info.sentence_dim > 0) std::cout << ", sentence vectors of " << info.sentence_dim;
    std::cout << "; splits:";
    for (const auto& s : info.split_names)
      std::cout << " " << s << "=" << zl::read_teacher_split(teacher_path, s, /*with_values=*/false).size();
    std::cout << ")" << std::endl;
    return 0;
  });
}
