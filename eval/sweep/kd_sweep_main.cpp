// `kd sweep`: the main job. Prepare the dataset, train the teacher(s), distill a
// grid of students (and train their no-distillation twins), evaluate everything on
// the test split, and write the report. Every step runs as a child process of the
// kd programs with its log in SWEEP_DIR/logs/; finished steps are skipped, so an
// interrupted or failed sweep resumes where it stopped (docs/sweep.md).
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <filesystem>
#include <iostream>

#include "atomic_file.h"
#include "error.h"
#include "dev_split_check.h"
#include "pipeline_config.h"
#include "process.h"
#include "results_table.h"
#include "run_annotation.h"
#include "step_state.h"
#include "stale_temp_files.h"
#include "sweep_plan.h"

namespace fs = std::filesystem;
using namespace zl::sweep;

namespace {

std::string self_dir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return ".";
  buf[n] = '\0';
  return fs::path(buf).parent_path().string();
}

struct Options {
  std::string config;
  std::string out;
  std::vector<std::string> overrides;
  int64_t max_steps = 0;
  bool do_export = false;
  bool dry_run = false;
  bool verbose = false;
};

bool program_exists(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

// " (stopped at step N)" from an interrupted run's run.json, "" when it does not say
// (a run killed outright never wrote its last step; kd train's log names it).
std::string interrupted_at(const std::string& run_dir) {
  try {
    const auto j = nlohmann::json::parse(zl::read_file(run_dir + "/run.json"));
    if (j.is_object() && j.contains("step") && j["step"].is_number_integer())
      return " (stopped at step " + std::to_string(j["step"].get<long long>()) + ")";
  } catch (const std::exception&) {
  }
  return "";
}

// The step's key with the inputs it discovers from its own output.
StepKey full_key(const Step& s) {
  StepKey key = s.key;
  if (s.discovered_inputs)
    for (const auto& f : s.discovered_inputs()) key.inputs.push_back(f);
  return key;
}

// Export the recommended student (summary.json "recommended") when kd export is built.
int export_recommended(const Plan& plan, const std::string& bin_dir, bool verbose) {
  const std::string exporter = bin_dir + "/kd-export";
  if (!program_exists(exporter)) {
    std::printf("export: skipped: kd export is not built in this installation (%s missing)\n", exporter.c_str());
    return 0;
  }
  const std::string summary_path = plan.sweep_dir + "/report/summary.json";
  nlohmann::json summary;
  try {
    summary = nlohmann::json::parse(zl::read_file(summary_path));
  } catch (const nlohmann::json::exception& e) {
    throw zl::UserError(summary_path + ": not valid JSON (" + e.what() + "); run kd sweep again to redo the report");
  }
  // summary.json "recommended" is a model id; its first run (lowest seed) is exported.
  std::string run_dir;
  const std::string rec = summary.value("recommended", nlohmann::json()).is_string()
                              ? summary["recommended"].get<std::string>()
                              : "";
  for (const auto& m : summary.value("models", nlohmann::json::array()))
    if (m.value("id", "") == rec && !m.value("run_ids", nlohmann::json::array()).empty())
      run_dir = run_dir_of(plan.manifest, m["run_ids"][0].get<std::string>());
  if (run_dir.empty()) {
    std::printf("export: skipped: the report recommends no student (%s: recommended is '%s')\n",
                summary_path.c_str(), rec.c_str());
    return 0;
  }
  const std::string out = plan.sweep_dir + "/export/" + fs::path(run_dir).filename().string() + ".onnx";
  std::vector<std::string> argv = {exporter, "onnx", "--run", run_dir, "--data", plan.dataset, "--out", out};
  StepKey key;
  key.id = "export";
  key.command = argv;
  key.command[0] = "kd-export";
  key.inputs = {run_dir + "/best.pt", run_dir + "/config.yaml"};
  key.outputs = {out};
  const std::string state = plan.sweep_dir + "/steps";
  if (check_step(key, state).done) {
    std::printf("export: skipped (done): %s\n", out.c_str());
    return 0;
  }
  fs::create_directories(plan.sweep_dir + "/export");
  const std::string log = plan.sweep_dir + "/logs/" + safe_name("export") + ".log";
  std::printf("export: %s -> %s (log %s)\n", run_dir.c_str(), out.c_str(), log.c_str());
  std::fflush(stdout);
  remove_marker(state, key.id);
  ProcessResult r = run_logged(argv, log, verbose);
  if (!r.ok()) {
    std::fprintf(stderr, "kd sweep: step 'export' failed (%s); log: %s\n%s", r.describe().c_str(), log.c_str(),
                 last_error_lines(log).c_str());
    return 1;
  }
  write_marker(key, state, r.wall_seconds);
  return 0;
}

int run_sweep(const Options& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  PipelineConfig cfg = load_pipeline_config(opt.config, opt.overrides);
  check_dev_splits(cfg);  // before any step: a missing dev split would fail only at the first training
  const std::string bin_dir = self_dir();
  const std::string sweep_dir = opt.out.empty() ? cfg.output : opt.out;
  Plan plan = build_plan(cfg, sweep_dir, bin_dir);
  const std::string state = plan.sweep_dir + "/steps";
  const std::string logs = plan.sweep_dir + "/logs";

  if (opt.dry_run) {
    for (const auto& s : plan.steps) {
      Validity v = check_step(full_key(s), state);
      std::printf("%-48s %s\n", s.key.id.c_str(), v.done ? "done" : ("to run: " + v.reason).c_str());
    }
    return 0;
  }
  for (const char* sub : {"", "/logs", "/steps", "/data", "/runs", "/teachers", "/report"})
    fs::create_directories(plan.sweep_dir + sub);
  // One sweep per directory at a time: a second one would delete the first one's
  // running outputs. The lock is released when the process ends, however it ends.
  const std::string lock_path = plan.sweep_dir + "/.lock";
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0)
    throw zl::UserError("another kd sweep is running on " + plan.sweep_dir +
                        " (" + lock_path + " is locked): wait for it to finish, or stop it first");
  // Temporary files of an earlier sweep (or of its steps) killed mid-write.
  zl::remove_stale_temp_files(plan.sweep_dir, /*recursive=*/true);
  zl::write_file_atomic(plan.sweep_dir + "/pipeline.yaml", cfg.resolved_yaml + "\n");
  const std::string manifest = plan.manifest.dump(2) + "\n";
  if (!zl::file_exists(plan.sweep_dir + "/sweep.json") || zl::read_file(plan.sweep_dir + "/sweep.json") != manifest)
    zl::write_file_atomic(plan.sweep_dir + "/sweep.json", manifest);

  std::printf("kd sweep: %s -> %s (%zu steps)\n", cfg.source.c_str(), plan.sweep_dir.c_str(), plan.steps.size());
  int64_t ran = 0, skipped = 0, trained = 0;
  const size_t total = plan.steps.size();
  bool stopped_early = false;
  for (size_t i = 0; i < total; ++i) {
    const Step& s = plan.steps[i];
    if (stop_signal()) {
      std::fprintf(stderr, "kd sweep: interrupted (signal %d); finished steps are kept: run the same kd sweep command "
                           "again to resume\n", stop_signal());
      return 128 + stop_signal();
    }
    StepKey key = full_key(s);
    Validity v = check_step(key, state);
    if (v.done) {
      ++skipped;
      std::printf("[%zu/%zu] %s: skipped (done)\n", i + 1, total, s.key.id.c_str());
      continue;
    }
    if (opt.max_steps > 0 && ran >= opt.max_steps) {
      std::printf("[%zu/%zu] %s: not started: --max-steps %lld reached; run kd sweep again to continue\n", i + 1,
                  total, s.key.id.c_str(), static_cast<long long>(opt.max_steps));
      stopped_early = true;
      break;
    }
    if (!s.argv.empty() && !program_exists(s.argv[0])) {
      if (s.kind == "report") {
        std::printf("[%zu/%zu] report: skipped: kd report is not built in this installation (%s missing)\n", i + 1,
                    total, s.argv[0].c_str());
        continue;
      }
      throw zl::UserError("step " + s.key.id + " needs " + s.argv[0] +
                          ", which is not built: build it (scripts/build) and run kd sweep again");
    }
    if (s.kind == "report") annotate_runs(plan.manifest);  // the run.json fields kd report reads
    const std::string log = logs + "/" + safe_name(s.key.id) + ".log";
    // A step never run is just "running"; one run before says why it runs again.
    const bool first_run = v.reason.rfind("not done yet", 0) == 0;
    // An interrupted training step (no completion marker, a run directory with a
    // checkpoint) continues from its checkpoint when its command and inputs are the
    // ones it started with; otherwise it starts over and says why.
    bool resume = false;
    if (!s.run_dir.empty() && first_run && fs::exists(s.run_dir)) {
      const Validity rv = check_resumable(key, state, s.run_dir + "/checkpoint.pt");
      resume = rv.done;
      if (resume)
        std::printf("[%zu/%zu] %s: continuing the interrupted run from %s/checkpoint.pt%s; log %s\n", i + 1, total,
                    s.key.id.c_str(), s.run_dir.c_str(), interrupted_at(s.run_dir).c_str(), log.c_str());
      else
        std::printf("[%zu/%zu] %s: starting over (the interrupted run in %s cannot continue: %s); log %s\n", i + 1,
                    total, s.key.id.c_str(), s.run_dir.c_str(), rv.reason.c_str(), log.c_str());
    } else {
      std::printf("[%zu/%zu] %s: %s%s%s; log %s\n", i + 1, total, s.key.id.c_str(),
                  first_run ? "running" : "running again (", first_run ? "" : v.reason.c_str(), first_run ? "" : ")",
                  log.c_str());
    }
    std::fflush(stdout);
    remove_marker(state, s.key.id);
    auto start_fresh = [&] {
      for (const auto& c : s.clean) fs::remove_all(c);
      for (const auto& o : s.key.outputs) fs::create_directories(fs::path(o).parent_path());
      if (!s.run_dir.empty()) write_started(key, state);
    };
    if (!resume) start_fresh();
    ProcessResult r;
    if (s.action) {
      auto a0 = std::chrono::steady_clock::now();
      std::ofstream(log, std::ios::app) << "(in-process step " << s.key.id << ")\n";
      try {
        s.action();
        r.exit_code = 0;
      } catch (const std::exception& e) {
        std::ofstream(log, std::ios::app) << "error: " << e.what() << "\n";
        std::fprintf(stderr, "kd sweep: %s\n", e.what());
        r.exit_code = dynamic_cast<const zl::UserError*>(&e) ? zl::kUserErrorExit : 1;
      }
      r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - a0).count();
    } else if (resume) {
      std::vector<std::string> argv = s.argv;
      argv.push_back("--resume");
      r = run_logged(argv, log, opt.verbose);
      // A checkpoint that cannot be continued (unreadable, another config): the
      // trainer exits 2 and says why; the step then starts over.
      if (r.exit_code == zl::kUserErrorExit && !stop_signal()) {
        std::printf("[%zu/%zu] %s: starting over: the checkpoint could not be continued:\n%s", i + 1, total,
                    s.key.id.c_str(), last_error_lines(log).c_str());
        std::fflush(stdout);
        start_fresh();
        r = run_logged(s.argv, log, opt.verbose);
      }
    } else {
      r = run_logged(s.argv, log, opt.verbose);
    }
    if (!r.ok() || stop_signal()) {
      if (stop_signal()) {
        std::fprintf(stderr,
                     "kd sweep: interrupted (signal %d) during step '%s'; finished steps are kept: run the same "
                     "kd sweep command again to resume\n",
                     stop_signal(), s.key.id.c_str());
        return 128 + stop_signal();
      }
      std::fprintf(stderr,
                   "kd sweep: step '%s' failed (%s); log: %s\n%s"
                   "  finished steps are kept: fix the cause and run the same kd sweep command again to resume\n",
                   s.key.id.c_str(), r.describe().c_str(), log.c_str(), last_error_lines(log).c_str());
      return 1;
    }
    write_marker(full_key(s), state, r.wall_seconds);
    remove_started(state, s.key.id);
    ++ran;
    if (s.trains) ++trained;
    std::printf("[%zu/%zu] %s: done in %.1f s\n", i + 1, total, s.key.id.c_str(), r.wall_seconds);
    std::fflush(stdout);
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json last = {{"steps_total", total},  {"steps_run", ran},         {"steps_skipped", skipped},
                         {"training_steps_run", trained}, {"wall_seconds", wall}, {"complete", !stopped_early}};
  zl::write_file_atomic(plan.sweep_dir + "/last_invocation.json", last.dump(2) + "\n");
  std::printf("\nsteps: %lld run (%lld training), %lld skipped as done, of %zu; %.1f s\n",
              static_cast<long long>(ran), static_cast<long long>(trained), static_cast<long long>(skipped), total,
              wall);
  if (stopped_early) return 0;

  std::printf("\naccuracy versus size (%s split of %s):\n%s", cfg.eval.split.c_str(), plan.dataset.c_str(),
              results_table(plan.manifest).c_str());
  const std::string report = plan.sweep_dir + "/report/report.html";
  for (const auto& s : plan.steps) {
    if (s.kind != "report" || s.key.id == "report") continue;
    if (zl::file_exists(s.key.outputs[0])) std::printf("report for one label share: %s\n", s.key.outputs[0].c_str());
  }
  if (zl::file_exists(report))
    std::printf("\nreport: %s\n", report.c_str());
  else
    std::printf("\nreport: not written (%s)\n",
                cfg.teacher.file.empty() ? "kd report is not built" : "an external teacher has no run to report on");
  if (opt.do_export || cfg.export_onnx) {
    if (!zl::file_exists(plan.sweep_dir + "/report/summary.json")) {
      std::printf("export: skipped: no report/summary.json to take the recommended student from\n");
      return 0;
    }
    return export_recommended(plan, bin_dir, opt.verbose);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "kd sweep: prepare, train the teacher, distill a grid of students, evaluate, report\n\n"
      "Steps whose outputs exist and are still valid are skipped: run the same command again\n"
      "to resume an interrupted or failed sweep. Logs: SWEEP_DIR/logs/.\n\n"
      "examples:\n"
      "  kd sweep --config configs/pipelines/demo.yaml\n"
      "  kd sweep --config configs/pipelines/smp2017_intent.yaml --out runs/smp --set students.seeds=[1,2]\n"
      "  kd sweep --config configs/pipelines/demo.yaml --dry-run    # what would run, and why"};
  Options opt;
  app.add_option("--config", opt.config, "pipeline config (configs/pipelines/*.yaml)")->required();
  app.add_option("--out", opt.out, "sweep directory (default: the config's output key)");
  app.add_option("--set", opt.overrides, "override a config key, e.g. --set students.seeds=[1,2] (repeatable)");
  app.add_option("--max-steps", opt.max_steps, "run at most this many steps that need work, then stop (0 = all)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--export", opt.do_export, "export the recommended student with kd export onnx");
  app.add_flag("--dry-run", opt.dry_run, "list the steps and whether each is done, run nothing");
  app.add_flag("--verbose", opt.verbose, "copy every step's output to the terminal (it is always in the log)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : zl::kUserErrorExit;
  }
  install_signal_forwarding();
  return zl::run_main("sweep", [&] { return run_sweep(opt); });
}
