// `kd train`: train a teacher, or a student without distillation (docs/training.md).
#include <CLI/CLI.hpp>

#include "error.h"
#include "run_training.h"

int main(int argc, char** argv) {
  CLI::App app{
      "kd train: train a classifier on a prepared dataset\n\n"
      "example:\n"
      "  kd train --data runs/smp.h5 --model configs/models/teacher.yaml --config configs/train/default.yaml \\\n"
      "           --out runs/teacher --set train.epochs=5\n"
      "  kd train --out runs/teacher --resume   # continue an interrupted run exactly"};
  zl::RunRequest req;
  zl::add_run_options(app, req);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : zl::kUserErrorExit;
  }
  return zl::run_main("train", [&] { return zl::run_training(req); });
}
