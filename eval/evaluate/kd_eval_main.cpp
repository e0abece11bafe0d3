// `kd eval`: evaluate a run on a split of a prepared dataset; writes metrics.json
// (docs/eval-command.md) and prints a summary.
#include <CLI/CLI.hpp>

#include <iostream>

#include "error.h"
#include "eval_command.h"
#include "threads.h"

int main(int argc, char** argv) {
  CLI::App app{
      "kd eval: evaluate a run on a split of a prepared dataset (metrics, slices, CIs, cost)\n\n"
      "examples:\n"
      "  kd eval --run runs/tiny --data runs/smp.h5 --split test\n"
      "  kd eval --run runs/tiny_kd --data runs/smp.h5 --teacher runs/teacher.h5 --compare runs/tiny_nokd\n"
      "  kd eval --run runs/teacher --data runs/smp.h5 --transfer-ids runs/transfer.ids --out /tmp/m.json"};
  zl::EvalRequest req;
  app.add_option("--run", req.run_dir, "run directory (the --out of kd train / kd distill)")->required();
  app.add_option("--data", req.data_path, "prepared dataset (kd data prepare)")->required();
  app.add_option("--split", req.split, "split to evaluate (default test)");
  app.add_option("--teacher", req.teacher_path, "teacher file: report agreement with the teacher");
  app.add_option("--compare", req.compare_dir, "another run: paired McNemar test on the same rows");
  app.add_option("--transfer-ids", req.transfer_ids,
                 "file of train ids (one per line) this teacher labelled without their gold labels: "
                 "report its accuracy on them");
  app.add_option("--out", req.out_path, "metrics.json to write (default RUN/eval/<split>/metrics.json)");
  app.add_option("--device", req.device, "auto | cpu | cuda (predictions)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  app.add_option("--weights", req.which, "best | final")->check(CLI::IsMember({"best", "final"}));
  app.add_option("--batch-size", req.batch_size, "examples per prediction batch (default 128)")
      ->check(CLI::PositiveNumber);
  app.add_option("--latency-runs", req.latency_runs, "timed batch-1 runs (>= 200, default 200)")
      ->check(CLI::Range(int64_t{200}, int64_t{1000000}));
  app.add_option("--bootstrap", req.bootstrap_resamples, "bootstrap resamples for the CIs (default 1000)")
      ->check(CLI::PositiveNumber);
  int64_t threads = 0;
  app.add_option("--threads", threads, "CPU threads for LibTorch (default every core this process may use; "
                                       "the latency is measured with one)")
      ->check(CLI::NonNegativeNumber);
  bool no_cost = false;
  app.add_flag("--no-cost", no_cost, "skip the latency and throughput measurements");
  app.add_flag("--quiet", req.quiet, "print only the output path");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : zl::kUserErrorExit;
  }
  req.measure_cost = !no_cost;
  return zl::run_main("eval", [&] {
    zl::configure_threads(threads);
    nlohmann::json m = zl::run_eval(req);
    if (!req.quiet) std::cout << zl::eval_summary(m);
    std::cout << "metrics: " << m["_written_to"].get<std::string>() << std::endl;
    return 0;
  });
}
