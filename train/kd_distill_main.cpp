// `kd distill`: train a student on a teacher file's outputs (docs/distillation.md).
#include <CLI/CLI.hpp>

#include "distill.h"
#include "error.h"

int main(int argc, char** argv) {
  CLI::App app{
      "kd distill: train a student from teacher-output files (the teacher is never run for the logit term)\n\n"
      "examples:\n"
      "  kd distill --data runs/smp.h5 --teacher runs/smp_teacher.h5 --model configs/models/student_l2_h128.yaml \\\n"
      "             --config configs/pipelines/train/distill.yaml --out runs/student_kd --set distill.temperature=4\n"
      "  kd distill --data runs/smp.h5 --teacher t1.h5 --teacher t2.h5 --teacher-weight 2 --teacher-weight 1 ...\n"
      "  kd distill --out runs/student_kd --resume"};
  zl::DistillRequest req;
  zl::add_run_options(app, req.run);
  app.add_option("--teacher", req.teachers, "teacher file (kd teacher predict); repeat for several teachers");
  app.add_option("--teacher-weight", req.teacher_weights,
                 "weight of each --teacher in the average of probabilities (same order; default equal)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : zl::kUserErrorExit;
  }
  return zl::run_main("distill", [&] { return zl::run_distill(req); });
}
